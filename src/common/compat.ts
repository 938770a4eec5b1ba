// What Basalt tells tools that check which TDengine they talk to. Grafana's TDengine data
// source and TDengine's connectors read `select server_version()` and take any 3.x as
// TDengine 3 (REST /rest/sql, the 3.x JSON); Basalt's own version is `select basalt_version()`
// and the banner's.
export const TDENGINE_COMPAT_VERSION = '3.3.6.0';
