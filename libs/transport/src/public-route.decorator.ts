import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'tether:public';
/** Marks a route that needs no credentials (health). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
