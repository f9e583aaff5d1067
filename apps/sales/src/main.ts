import { lineAppBuilder } from '@tether/line-app';
import { runSingleApp } from '@tether/runtime';

/** The sales line's entry point: its own number, its own IVR, no other line's menus. */
void runSingleApp('sales', lineAppBuilder('sales'));
