-- Conformance fixture: the per-row rules of the load (registry-semantics.md 2.3)
-- and the registry's own entries. Load after db_tars.sql.
--
-- Rows.StateServer.StateObj, one endpoint per node, shows the active rule:
--   10.0.3.1 active; 10.0.3.2 present_state activating; 10.0.3.3 setting_state
--   inactive; 10.0.3.4 flow_state inactive; 10.0.3.5 bak_flag 1 (never answered);
--   10.0.3.6 bak_flag 2 (answered, bakFlag 2); 10.0.3.7 endpoint "-p 80abc" (dropped);
--   10.0.3.8 weightType 2 active (answered as 0); 10.0.3.9 weightType 2 inactive (kept 2).
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, bak_flag) VALUES
  ('Rows', 'StateServer', '10.0.3.1', 'active', 'active', 'active', 0),
  ('Rows', 'StateServer', '10.0.3.2', 'active', 'activating', 'active', 0),
  ('Rows', 'StateServer', '10.0.3.3', 'inactive', 'active', 'active', 0),
  ('Rows', 'StateServer', '10.0.3.4', 'active', 'active', 'inactive', 0),
  ('Rows', 'StateServer', '10.0.3.5', 'active', 'active', 'active', 1),
  ('Rows', 'StateServer', '10.0.3.6', 'active', 'active', 'active', 2),
  ('Rows', 'StateServer', '10.0.3.7', 'active', 'active', 'active', 0),
  ('Rows', 'StateServer', '10.0.3.8', 'active', 'active', 'active', 0),
  ('Rows', 'StateServer', '10.0.3.9', 'active', 'inactive', 'active', 0);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('Rows', 'StateServer', '10.0.3.1', 'StateObjAdapter', 'Rows.StateServer.StateObj', 'tcp -h 10.0.3.1 -p 9200 -t 3000'),
  ('Rows', 'StateServer', '10.0.3.2', 'StateObjAdapter', 'Rows.StateServer.StateObj', 'tcp -h 10.0.3.2 -p 9200 -t 3000'),
  ('Rows', 'StateServer', '10.0.3.3', 'StateObjAdapter', 'Rows.StateServer.StateObj', 'tcp -h 10.0.3.3 -p 9200 -t 3000'),
  ('Rows', 'StateServer', '10.0.3.4', 'StateObjAdapter', 'Rows.StateServer.StateObj', 'tcp -h 10.0.3.4 -p 9200 -t 3000'),
  ('Rows', 'StateServer', '10.0.3.5', 'StateObjAdapter', 'Rows.StateServer.StateObj', 'tcp -h 10.0.3.5 -p 9200 -t 3000'),
  ('Rows', 'StateServer', '10.0.3.6', 'StateObjAdapter', 'Rows.StateServer.StateObj', 'tcp -h 10.0.3.6 -p 9200 -t 3000'),
  ('Rows', 'StateServer', '10.0.3.7', 'StateObjAdapter', 'Rows.StateServer.StateObj', 'tcp -h 10.0.3.7 -p 80abc -t 3000'),
  ('Rows', 'StateServer', '10.0.3.8', 'StateObjAdapter', 'Rows.StateServer.StateObj', 'tcp -h 10.0.3.8 -p 9200 -t 3000 -v 2 -w 40'),
  ('Rows', 'StateServer', '10.0.3.9', 'StateObjAdapter', 'Rows.StateServer.StateObj', 'tcp -h 10.0.3.9 -p 9200 -t 3000 -v 2 -w 40');

-- A node_name with blanks around it is answered trimmed.
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state) VALUES
  ('Rows', 'TrimServer', ' 10.0.3.10 ', 'active', 'active');
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('Rows', 'TrimServer', ' 10.0.3.10 ', 'TrimObjAdapter', 'Rows.TrimServer.TrimObj', 'tcp -h 10.0.3.10 -p 9200 -t 3000');

-- Rows.DupObj is declared by adapters of two different servers: one servant, two endpoints.
-- Rows.CaseObj and rows.caseobj are two servants: ids are case-sensitive.
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state) VALUES
  ('Rows', 'DupServer', '10.0.4.1', 'active', 'active'),
  ('Rows', 'OtherServer', '10.0.4.2', 'active', 'active'),
  ('Rows', 'EmptyServer', '10.0.4.3', 'active', 'active');
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('Rows', 'DupServer', '10.0.4.1', 'DupAdapter', 'Rows.DupObj', 'tcp -h 10.0.4.1 -p 9300 -t 3000'),
  ('Rows', 'OtherServer', '10.0.4.2', 'DupAdapter', 'Rows.DupObj', 'udp -h 10.0.4.2 -p 9301 -t 3000'),
  ('Rows', 'DupServer', '10.0.4.1', 'CaseAdapter', 'Rows.CaseObj', 'tcp -h 10.0.4.1 -p 9310 -t 3000'),
  ('Rows', 'OtherServer', '10.0.4.2', 'CaseAdapter', 'rows.caseobj', 'tcp -h 10.0.4.2 -p 9311 -t 3000');

-- The registry's own servant: seeded in t_adapter_conf like any server (node
-- 10.0.5.1, -t 60000) and heartbeating in t_registry_info (10.0.5.1 active, whose
-- nodeName is its tars_version, and 10.0.5.2 inactive). One answer holds all three.
-- Group 7 holds 10.0.5.*: the registry rows' enable_group column counts (N for
-- QueryObj, Y for RegistryObj, whose tars_version has blanks and is trimmed).
INSERT INTO t_server_group_rule (group_id, allow_ip_rule, group_name) VALUES (7, '10.0.5.*', 'registry');
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state) VALUES
  ('tars', 'tarsregistry', '10.0.5.1', 'active', 'active');
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('tars', 'tarsregistry', '10.0.5.1', 'tars.tarsregistry.QueryObjAdapter', 'tars.tarsregistry.QueryObj', 'tcp -h 10.0.5.1 -p 17890 -t 60000');
INSERT INTO t_registry_info (locator_id, servant, endpoint, last_heartbeat, present_state, tars_version) VALUES
  ('10.0.5.1:17890', 'tars.tarsregistry.QueryObj', 'tcp -h 10.0.5.1 -p 17890 -t 10000', NOW(), 'active', '3.0.20'),
  ('10.0.5.2:17890', 'tars.tarsregistry.QueryObj', 'tcp -h 10.0.5.2 -p 17890 -t 10000', NOW(), 'inactive', '3.0.20');
INSERT INTO t_registry_info (locator_id, servant, endpoint, last_heartbeat, present_state, tars_version, enable_group) VALUES
  ('10.0.5.1:17890', 'tars.tarsregistry.RegistryObj', 'tcp -h 10.0.5.1 -p 17891 -t 10000', NOW(), 'active', ' 3.0.20 ', 'Y');
