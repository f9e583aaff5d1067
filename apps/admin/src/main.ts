import { runSingleApp } from '@tether/runtime';
import { buildAdminApp } from './build-admin-app';

void runSingleApp('admin', buildAdminApp);
