import { lineAppBuilder } from '@tether/line-app';
import { runSingleApp } from '@tether/runtime';

/** The presales line's entry point: its own number, its own IVR, no other line's menus. */
void runSingleApp('presales', lineAppBuilder('presales'));
