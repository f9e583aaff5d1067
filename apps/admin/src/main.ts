import { runSingleApp } from '@tether/transport';
import { buildAdminApp } from './build-admin-app';

void runSingleApp('admin', buildAdminApp);
