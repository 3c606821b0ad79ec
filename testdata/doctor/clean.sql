-- tarscache doctor fixture: a small registry without mistakes (load after db_tars.sql).
-- One node heartbeating, one server with one adapter, the official registry's own
-- rows, one IDC group with a priority row and one valid subset rule.
INSERT INTO t_node_info (node_name, endpoint_ip, last_heartbeat, setting_state, present_state) VALUES
  ('10.1.0.1', '10.1.0.1', NOW(), 'active', 'active');
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, enable_group, enable_set, set_name, set_area, set_group) VALUES
  ('Doc', 'GoodServer', '10.1.0.1', 'active', 'active', 'Y', 'Y', 'doc', 'sz', '1'),
  ('tars', 'tarsregistry', '10.1.0.1', 'active', 'active', 'N', 'N', NULL, NULL, NULL);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('Doc', 'GoodServer', '10.1.0.1', 'GoodObjAdapter', 'Doc.GoodServer.GoodObj', 'tcp -h 10.1.0.1 -p 9000 -t 3000'),
  ('tars', 'tarsregistry', '10.1.0.1', 'tars.tarsregistry.QueryObjAdapter', 'tars.tarsregistry.QueryObj', 'tcp -h 10.1.0.1 -p 17890 -t 60000');
INSERT INTO t_registry_info (locator_id, servant, endpoint, last_heartbeat, present_state, tars_version) VALUES
  ('10.1.0.1:17890', 'tars.tarsregistry.QueryObj', 'tcp -h 10.1.0.1 -p 17890 -t 10000', NOW(), 'active', '3.0.20');
INSERT INTO t_server_group_rule (group_id, allow_ip_rule, group_name) VALUES (1, '10.1.0.*|10.1.9.9', 'one');
INSERT INTO t_group_priority (id, group_list, list_order, station) VALUES (1, '1', 1, 'south');
INSERT INTO t_subset_rule (servant, enable, rule_type, rule_data) VALUES
  ('Doc.GoodServer.GoodObj', 'Y', 'ratio', '{"v1": 100}');
