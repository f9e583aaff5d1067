export const LINE = Symbol('LINE');
