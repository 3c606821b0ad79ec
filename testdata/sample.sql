-- Sample registry for tarscache tests (INSERTs only, load after db_tars.sql).
-- Three nodes (10.0.0.11, 10.0.0.12, 10.0.0.13), applications Demo, Shop and tars.
-- Each group below says which loading rule it demonstrates. Reminder of the rules:
--   * an endpoint is active only if setting_state = active AND present_state = active
--     AND flow_state is not inactive, otherwise it goes to the inactive list
--   * bak_flag = 1 rows and rows whose endpoint does not parse are dropped entirely
--   * a server without adapters yields a row with NULL servant and endpoint (ignored)
--   * t_registry_info rows are appended after the t_adapter_conf rows
-- The IDC group tables (t_server_group_rule, t_group_priority) are deliberately left
-- empty; the subset tables hold one rule (Shop.OrderServer.OrderObj, last section).

-- Nodes: all three tarsnode agents are registered and heartbeating.
INSERT INTO t_node_info (node_name, node_obj, endpoint_ip, endpoint_port, data_dir, load_avg1, load_avg5, load_avg15, last_reg_time, last_heartbeat, setting_state, present_state, tars_version, template_name, group_id) VALUES
  ('10.0.0.11', 'tars.tarsnode.NodeObj@tcp -h 10.0.0.11 -p 19385 -t 60000', '10.0.0.11', 19385, '/usr/local/app/tars/tarsnode/data', 0.3, 0.25, 0.2, NOW(), NOW(), 'active', 'active', '3.0.20', 'tars.tarsnode', -1),
  ('10.0.0.12', 'tars.tarsnode.NodeObj@tcp -h 10.0.0.12 -p 19385 -t 60000', '10.0.0.12', 19385, '/usr/local/app/tars/tarsnode/data', 0.5, 0.4, 0.35, NOW(), NOW(), 'active', 'active', '3.0.20', 'tars.tarsnode', -1),
  ('10.0.0.13', 'tars.tarsnode.NodeObj@tcp -h 10.0.0.13 -p 19385 -t 60000', '10.0.0.13', 19385, '/usr/local/app/tars/tarsnode/data', 0.1, 0.1, 0.1, NOW(), NOW(), 'active', 'active', '3.0.20', 'tars.tarsnode', -1);

-- Demo.HelloServer on three nodes, two adapters each (HelloObj and AdminObj).
-- 10.0.0.11 and 10.0.0.12 are fully active. 10.0.0.13 has present_state inactive
-- (process stopped), so both of its endpoints go to the inactive lists.
-- Endpoint options come in any order: -h/-p/-t are parsed wherever they appear.
-- -e 0 / -e 1 set authType. The AdminObj endpoint on 10.0.0.12 has port 80abc,
-- which does not parse, so that row is dropped (not active, not inactive).
INSERT INTO t_server_conf (application, server_name, node_name, template_name, server_type, bak_flag, setting_state, present_state, flow_state, process_id, patch_version, patch_time, tars_version, posttime, lastuser, enable_group, enable_set, set_name, set_area, set_group, ip_group_name) VALUES
  ('Demo', 'HelloServer', '10.0.0.11', 'tars.default', 'tars_cpp', 0, 'active', 'active', 'active', 2101, '12', NOW(), '3.0.20', NOW(), 'admin', 'N', 'N', NULL, NULL, NULL, NULL),
  ('Demo', 'HelloServer', '10.0.0.12', 'tars.default', 'tars_cpp', 0, 'active', 'active', 'active', 3107, '12', NOW(), '3.0.20', NOW(), 'admin', 'N', 'N', NULL, NULL, NULL, NULL),
  ('Demo', 'HelloServer', '10.0.0.13', 'tars.default', 'tars_cpp', 0, 'active', 'inactive', 'active', 0, '12', NOW(), '3.0.20', NOW(), 'admin', 'N', 'N', NULL, NULL, NULL, NULL);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, thread_num, max_connections, queuecap, queuetimeout, protocol, posttime, lastuser) VALUES
  ('Demo', 'HelloServer', '10.0.0.11', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 10.0.0.11 -t 60000 -p 10015 -e 0', 5, 100000, 50000, 20000, 'tars', NOW(), 'admin'),
  ('Demo', 'HelloServer', '10.0.0.11', 'Demo.HelloServer.AdminObjAdapter', 'Demo.HelloServer.AdminObj', 'tcp -h 10.0.0.11 -p 10016 -t 60000 -e 1', 1, 1000, 10000, 60000, 'tars', NOW(), 'admin'),
  ('Demo', 'HelloServer', '10.0.0.12', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -p 10015 -h 10.0.0.12 -t 3000', 5, 100000, 50000, 20000, 'tars', NOW(), 'admin'),
  ('Demo', 'HelloServer', '10.0.0.12', 'Demo.HelloServer.AdminObjAdapter', 'Demo.HelloServer.AdminObj', 'tcp -h 10.0.0.12 -p 80abc -t 3000', 1, 1000, 10000, 60000, 'tars', NOW(), 'admin'),
  ('Demo', 'HelloServer', '10.0.0.13', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 10.0.0.13 -p 10015 -t 60000', 5, 100000, 50000, 20000, 'tars', NOW(), 'admin'),
  ('Demo', 'HelloServer', '10.0.0.13', 'Demo.HelloServer.AdminObjAdapter', 'Demo.HelloServer.AdminObj', 'tcp -t 60000 -h 10.0.0.13 -p 10016', 1, 1000, 10000, 60000, 'tars', NOW(), 'admin');

-- Demo.TimerServer: active on 10.0.0.11, still starting (present_state activating)
-- on 10.0.0.12. Only active counts as up, so the 10.0.0.12 endpoint is inactive.
-- ReportObj is a UDP adapter (istcp = 0), deployed on 10.0.0.11 only.
INSERT INTO t_server_conf (application, server_name, node_name, template_name, server_type, bak_flag, setting_state, present_state, flow_state, process_id, patch_version, patch_time, tars_version, posttime, lastuser, enable_group, enable_set, set_name, set_area, set_group, ip_group_name) VALUES
  ('Demo', 'TimerServer', '10.0.0.11', 'tars.default', 'tars_go', 0, 'active', 'active', 'active', 2230, '4', NOW(), '1.4.5', NOW(), 'admin', 'N', 'N', NULL, NULL, NULL, NULL),
  ('Demo', 'TimerServer', '10.0.0.12', 'tars.default', 'tars_go', 0, 'active', 'activating', 'active', 0, '4', NOW(), '1.4.5', NOW(), 'admin', 'N', 'N', NULL, NULL, NULL, NULL);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, thread_num, max_connections, queuecap, queuetimeout, protocol, posttime, lastuser) VALUES
  ('Demo', 'TimerServer', '10.0.0.11', 'Demo.TimerServer.TimerObjAdapter', 'Demo.TimerServer.TimerObj', 'tcp -h 10.0.0.11 -p 10030 -t 60000', 3, 10000, 10000, 60000, 'tars', NOW(), 'admin'),
  ('Demo', 'TimerServer', '10.0.0.11', 'Demo.TimerServer.ReportObjAdapter', 'Demo.TimerServer.ReportObj', 'udp -h 10.0.0.11 -p 10020 -t 60000', 1, 10000, 10000, 60000, 'tars', NOW(), 'admin'),
  ('Demo', 'TimerServer', '10.0.0.12', 'Demo.TimerServer.TimerObjAdapter', 'Demo.TimerServer.TimerObj', 'tcp -t 60000 -p 10030 -h 10.0.0.12', 3, 10000, 10000, 60000, 'tars', NOW(), 'admin');

-- Demo.CronJob: a non-Tars process with no adapters. The RIGHT JOIN returns one row
-- with NULL servant and NULL endpoint for it, which contributes no servant at all.
INSERT INTO t_server_conf (application, server_name, node_name, template_name, server_type, bak_flag, setting_state, present_state, flow_state, process_id, patch_version, patch_time, tars_version, posttime, lastuser, enable_group, enable_set, set_name, set_area, set_group, ip_group_name) VALUES
  ('Demo', 'CronJob', '10.0.0.13', 'tars.default', 'not_tars', 0, 'active', 'active', 'active', 4411, '2', NOW(), '', NOW(), 'admin', 'N', 'N', NULL, NULL, NULL, NULL);

-- Shop.OrderServer: set-enabled (set shop.sz.1) on all three nodes.
-- 10.0.0.11 is a backup machine (bak_flag = 1): although fully active, its endpoint is
-- never returned to clients, neither in the normal lists nor in the set index.
-- 10.0.0.12 uses -v 2 -w 80 (weightType 2 is answered as 0 in active lists when
-- dynamic weighting is off, weight 80 kept). 10.0.0.13 uses -v 1 without -w,
-- so its weight defaults to 100.
INSERT INTO t_server_conf (application, server_name, node_name, template_name, server_type, bak_flag, setting_state, present_state, flow_state, process_id, patch_version, patch_time, tars_version, posttime, lastuser, enable_group, enable_set, set_name, set_area, set_group, ip_group_name) VALUES
  ('Shop', 'OrderServer', '10.0.0.11', 'tars.tarsjava.default', 'tars_java', 1, 'active', 'active', 'active', 2590, '31', NOW(), '1.7.3', NOW(), 'shop-ops', 'N', 'Y', 'shop', 'sz', '1', NULL),
  ('Shop', 'OrderServer', '10.0.0.12', 'tars.tarsjava.default', 'tars_java', 0, 'active', 'active', 'active', 3320, '31', NOW(), '1.7.3', NOW(), 'shop-ops', 'N', 'Y', 'shop', 'sz', '1', NULL),
  ('Shop', 'OrderServer', '10.0.0.13', 'tars.tarsjava.default', 'tars_java', 0, 'active', 'active', 'active', 4502, '31', NOW(), '1.7.3', NOW(), 'shop-ops', 'N', 'Y', 'shop', 'sz', '1', NULL);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, thread_num, max_connections, queuecap, queuetimeout, protocol, posttime, lastuser) VALUES
  ('Shop', 'OrderServer', '10.0.0.11', 'Shop.OrderServer.OrderObjAdapter', 'Shop.OrderServer.OrderObj', 'tcp -h 10.0.0.11 -p 10100 -t 60000', 8, 100000, 50000, 20000, 'tars', NOW(), 'shop-ops'),
  ('Shop', 'OrderServer', '10.0.0.12', 'Shop.OrderServer.OrderObjAdapter', 'Shop.OrderServer.OrderObj', 'tcp -h 10.0.0.12 -p 10100 -t 60000 -v 2 -w 80', 8, 100000, 50000, 20000, 'tars', NOW(), 'shop-ops'),
  ('Shop', 'OrderServer', '10.0.0.13', 'Shop.OrderServer.OrderObjAdapter', 'Shop.OrderServer.OrderObj', 'tcp -h 10.0.0.13 -p 10100 -t 60000 -v 1', 8, 100000, 50000, 20000, 'tars', NOW(), 'shop-ops');

-- Shop.CartServer: three ways for a running server to be inactive, and one active node. The flow_state-inactive node also carries -v 2, which inactive lists keep.
-- 10.0.0.11: flow_state inactive (traffic drained by the operator), process still up.
-- 10.0.0.12: setting_state inactive (disabled in the admin UI), process still up.
-- 10.0.0.13: fully active, and it also serves CartSslObj over TLS (ssl, istcp = 2).
INSERT INTO t_server_conf (application, server_name, node_name, template_name, server_type, bak_flag, setting_state, present_state, flow_state, process_id, patch_version, patch_time, tars_version, posttime, lastuser, enable_group, enable_set, set_name, set_area, set_group, ip_group_name) VALUES
  ('Shop', 'CartServer', '10.0.0.11', 'tars.default', 'tars_cpp', 0, 'active', 'active', 'inactive', 2611, '7', NOW(), '3.0.20', NOW(), 'shop-ops', 'N', 'N', NULL, NULL, NULL, NULL),
  ('Shop', 'CartServer', '10.0.0.12', 'tars.default', 'tars_cpp', 0, 'inactive', 'active', 'active', 3480, '7', NOW(), '3.0.20', NOW(), 'shop-ops', 'N', 'N', NULL, NULL, NULL, NULL),
  ('Shop', 'CartServer', '10.0.0.13', 'tars.default', 'tars_cpp', 0, 'active', 'active', 'active', 4620, '7', NOW(), '3.0.20', NOW(), 'shop-ops', 'N', 'N', NULL, NULL, NULL, NULL);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, thread_num, max_connections, queuecap, queuetimeout, protocol, posttime, lastuser) VALUES
  ('Shop', 'CartServer', '10.0.0.11', 'Shop.CartServer.CartObjAdapter', 'Shop.CartServer.CartObj', 'tcp -h 10.0.0.11 -p 10400 -t 60000 -v 2 -w 40', 5, 100000, 50000, 20000, 'tars', NOW(), 'shop-ops'),
  ('Shop', 'CartServer', '10.0.0.12', 'Shop.CartServer.CartObjAdapter', 'Shop.CartServer.CartObj', 'tcp -h 10.0.0.12 -p 10400 -t 60000', 5, 100000, 50000, 20000, 'tars', NOW(), 'shop-ops'),
  ('Shop', 'CartServer', '10.0.0.13', 'Shop.CartServer.CartObjAdapter', 'Shop.CartServer.CartObj', 'tcp -h 10.0.0.13 -p 10400 -t 60000', 5, 100000, 50000, 20000, 'tars', NOW(), 'shop-ops'),
  ('Shop', 'CartServer', '10.0.0.13', 'Shop.CartServer.CartSslObjAdapter', 'Shop.CartServer.CartSslObj', 'ssl -h 10.0.0.13 -p 10443 -t 60000', 5, 100000, 50000, 20000, 'tars', NOW(), 'shop-ops');

-- Framework servers, seeded the way TarsFramework tars_servers.sql does it.
-- tars.tarsregistry on 10.0.0.11 with QueryObj (port 17890) and RegistryObj (17891),
-- tars.tarsconfig with ConfigObj. These are ordinary t_adapter_conf rows.
INSERT INTO t_server_conf (application, server_name, node_name, template_name, server_type, bak_flag, setting_state, present_state, flow_state, process_id, patch_version, patch_time, tars_version, posttime, lastuser, enable_group, enable_set, set_name, set_area, set_group, ip_group_name) VALUES
  ('tars', 'tarsregistry', '10.0.0.11', 'tars.tarsregistry', 'tars_cpp', 0, 'active', 'active', 'active', 1187, '3.0.20', NOW(), '3.0.20', NOW(), 'admin', 'N', 'N', NULL, NULL, NULL, NULL),
  ('tars', 'tarsconfig', '10.0.0.11', 'tars.tarsconfig', 'tars_cpp', 0, 'active', 'active', 'active', 1203, '3.0.20', NOW(), '3.0.20', NOW(), 'admin', 'N', 'N', NULL, NULL, NULL, NULL);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, thread_num, max_connections, queuecap, queuetimeout, protocol, posttime, lastuser) VALUES
  ('tars', 'tarsregistry', '10.0.0.11', 'tars.tarsregistry.QueryObjAdapter', 'tars.tarsregistry.QueryObj', 'tcp -h 10.0.0.11 -p 17890 -t 60000', 5, 100000, 100000, 10000, 'tars', NOW(), 'admin'),
  ('tars', 'tarsregistry', '10.0.0.11', 'tars.tarsregistry.RegistryObjAdapter', 'tars.tarsregistry.RegistryObj', 'tcp -h 10.0.0.11 -p 17891 -t 60000', 5, 100000, 100000, 10000, 'tars', NOW(), 'admin'),
  ('tars', 'tarsconfig', '10.0.0.11', 'tars.tarsconfig.ConfigObjAdapter', 'tars.tarsconfig.ConfigObj', 'tcp -h 10.0.0.11 -t 60000 -p 18193', 10, 200000, 100000, 60000, 'tars', NOW(), 'admin');

-- The registry heartbeat row: the running tarsregistry advertises its own QueryObj here.
-- It is loaded by the second query and appended to tars.tarsregistry.QueryObj after the
-- t_adapter_conf row above. Its state is present_state alone, and its nodeName is the
-- tars_version column (3.0.20), not a node IP.
INSERT INTO t_registry_info (locator_id, servant, endpoint, last_heartbeat, present_state, tars_version) VALUES
  ('10.0.0.11:17890', 'tars.tarsregistry.QueryObj', 'tcp -h 10.0.0.11 -p 17890 -t 10000', NOW(), 'active', '3.0.20');

-- Subset routing (tarscache's own tables): Shop.OrderServer's nodes 10.0.0.12 and
-- 10.0.0.13 are labelled stable and canary, and OrderObj sends 10% of route keys to
-- canary (try: tarscache route --keys 100000 Shop.OrderServer.OrderObj).
INSERT INTO t_server_subset (application, server_name, node_name, subset) VALUES
  ('Shop', 'OrderServer', '10.0.0.12', 'stable'),
  ('Shop', 'OrderServer', '10.0.0.13', 'canary');
INSERT INTO t_subset_rule (servant, enable, rule_type, rule_data) VALUES
  ('Shop.OrderServer.OrderObj', 'Y', 'ratio', '{"canary": 10, "stable": 90}');
