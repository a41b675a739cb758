export {
  CLUSTER_BIN_DIR,
  CLUSTER_BINARIES,
  GO_TOOLCHAIN,
  TEMPORAL_SERVER_VERSION,
  clusterBinariesPresent,
  ensureClusterBinaries,
  type ClusterBinaries,
} from './build';
export { startLocalCluster, type ClusterOptions, type LocalCluster, type ServiceProcess } from './cluster';
export { SERVICES, type ServiceName } from './config';
export { ensureNamespace, registerSearchAttributes } from './namespace';
export { findPostgresBin, type Postgres } from './postgres';
