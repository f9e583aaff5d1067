import { runSingleApp } from '@tether/runtime';
import { buildGatewayApp } from './build-gateway-app';

void runSingleApp('gateway', buildGatewayApp);
