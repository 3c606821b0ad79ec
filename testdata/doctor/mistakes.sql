-- tarscache doctor fixture: one of each mistake doctor finds (load after clean.sql).

-- endpoint-claimed-twice: 10.1.0.2:9100 was reused: Doc.OldServer's dead row and
-- Doc.NewServer's live one claim it, for two different servants.
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state) VALUES
  ('Doc', 'OldServer', 'old-node', 'active', 'inactive'),
  ('Doc', 'NewServer', '10.1.0.2', 'active', 'active');
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('Doc', 'OldServer', 'old-node', 'OldObjAdapter', 'Doc.OldServer.OldObj', 'tcp -h 10.1.0.2 -p 9100 -t 3000'),
  ('Doc', 'NewServer', '10.1.0.2', 'NewObjAdapter', 'Doc.NewServer.NewObj', 'tcp -h 10.1.0.2 -p 9100 -t 3000');

-- group-rule-never-matches: a CIDR block, a wildcard the registry never derives,
-- an entry with a blank, and a group_list entry that is not a number.
-- group-entry-twice: 10.1.9.9 is in group 1 (clean.sql) and group 2.
-- station-named-twice: "south" is also the station of row 1 (clean.sql).
-- priority-group-unknown: group 77 is defined by no rule.
INSERT INTO t_server_group_rule (group_id, allow_ip_rule, group_name) VALUES
  (2, '10.2.0.0/24|10.2.*|10.2.0.5 |10.1.9.9', 'two');
INSERT INTO t_group_priority (id, group_list, list_order, station) VALUES (2, '2|x|77', 2, 'south');

-- ip-group-name-unknown and set-name-invalid: Doc.SetServer names a group that does
-- not exist, has enable_set on with a wildcard set name, and its second node a dot
-- inside set_group.
-- servant-no-active-endpoint: Doc.SetServer.SetObj has only inactive endpoints.
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, ip_group_name, enable_set, set_name, set_area, set_group) VALUES
  ('Doc', 'SetServer', '10.1.0.3', 'inactive', 'active', 'nosuchgroup', 'Y', '*', 'sz', '1'),
  ('Doc', 'SetServer', '10.1.0.4', 'active', 'inactive', NULL, 'Y', 'doc', 'sz', '1.2');
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('Doc', 'SetServer', '10.1.0.3', 'SetObjAdapter', 'Doc.SetServer.SetObj', 'tcp -h 10.1.0.3 -p 9200 -t 3000'),
  ('Doc', 'SetServer', '10.1.0.4', 'SetObjAdapter', 'Doc.SetServer.SetObj', 'tcp -h 10.1.0.4 -p 9200 -t 3000');

-- endpoint-unparsable and servant-not-served: Doc.BadServer's only endpoint has a
-- stray word; Doc.BakServer's only row is a backup.
-- servant-case-twins: Doc.Twin.Obj and doc.twin.obj.
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, bak_flag) VALUES
  ('Doc', 'BadServer', '10.1.0.5', 'active', 'active', 0),
  ('Doc', 'BakServer', '10.1.0.6', 'active', 'active', 1),
  ('Doc', 'TwinServer', '10.1.0.7', 'active', 'active', 0);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('Doc', 'BadServer', '10.1.0.5', 'BadObjAdapter', 'Doc.BadServer.BadObj', 'tcp -h 10.1.0.5 -p 9300 extra'),
  ('Doc', 'BakServer', '10.1.0.6', 'BakObjAdapter', 'Doc.BakServer.BakObj', 'tcp -h 10.1.0.6 -p 9400 -t 3000'),
  ('Doc', 'TwinServer', '10.1.0.7', 'TwinAdapter', 'Doc.Twin.Obj', 'tcp -h 10.1.0.7 -p 9500 -t 3000'),
  ('Doc', 'TwinServer', '10.1.0.7', 'TwinLowerAdapter', 'doc.twin.obj', 'tcp -h 10.1.0.7 -p 9501 -t 3000');

-- adapter-without-server: an adapter left behind when its server was deleted.
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('Doc', 'GoneServer', '10.1.0.8', 'GoneObjAdapter', 'Doc.GoneServer.GoneObj', 'tcp -h 10.1.0.8 -p 9600 -t 3000');

-- registry-rows: a registry row still active an hour after its last heartbeat.
-- node-heartbeat-stale: a node still active an hour after its last heartbeat.
INSERT INTO t_registry_info (locator_id, servant, endpoint, last_heartbeat, present_state, tars_version) VALUES
  ('10.1.0.9:17890', 'tars.tarsregistry.QueryObj', 'tcp -h 10.1.0.9 -p 17890 -t 10000', NOW() - INTERVAL 1 HOUR, 'active', '3.0.20');
INSERT INTO t_node_info (node_name, endpoint_ip, last_heartbeat, setting_state, present_state) VALUES
  ('10.1.0.9', '10.1.0.9', NOW() - INTERVAL 1 HOUR, 'active', 'active');

-- subset-rule-rejected: a key rule whose regular expression does not compile.
INSERT INTO t_subset_rule (servant, enable, rule_type, rule_data) VALUES
  ('Doc.SetServer.SetObj', 'Y', 'key', '[{"match": "(", "route": "v1"}]');
