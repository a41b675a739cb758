/**
 * The server release the cluster test proves; docker-compose.yml pins the same. Its own module
 * so the CLI can name it in `--help` without loading the build code.
 */
export const TEMPORAL_SERVER_VERSION = '1.32.2';
