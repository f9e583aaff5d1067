import { runLineApp } from '@tether/line-app';

/** The presales line's entry point: its own number, its own IVR, no other line's menus. */
void runLineApp('presales');
