import { runSingleApp } from '@tether/transport';
import { buildGatewayApp } from './build-gateway-app';

void runSingleApp('gateway', buildGatewayApp);
