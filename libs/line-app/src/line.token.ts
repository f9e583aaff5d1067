/** The line's name (`Line`) of a line app. */
export const LINE = Symbol('LINE');

/** The line's row of `lines` (`LineDefinition`), read while the app is built: a line without one does not start. */
export const LINE_DEFINITION = Symbol('LINE_DEFINITION');
