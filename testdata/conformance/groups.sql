-- Conformance fixture: IDC groups, the group-priority walk and stations
-- (registry-semantics.md 1.2 to 1.5). Load after db_tars.sql.
--
-- Groups: an address joins a group by an exact allow_ip_rule token or by the
-- "a.b.c.*" wildcard of its first three bytes. 127.0.0.1 (the tests' own peer
-- address) is in group 1; the node name "node-x" is in group 3.
INSERT INTO t_server_group_rule (group_id, allow_ip_rule, group_name) VALUES
  (1, '10.1.1.*|127.0.0.1', 'sz'),
  (2, '10.2.2.*', 'sh'),
  (3, '10.3.3.*||node-x', 'bj'),
  (4, '10.4.4.*', 'gz'),
  (5, '10.5.5.0/24', 'cidr');

-- Priorities, walked in list_order: the rows holding the client's group, in order.
-- Station "north" names two rows: its first one by list_order (id 4) counts.
INSERT INTO t_group_priority (id, name, group_list, list_order, station) VALUES
  (1, 'south first', '1|2', 1, 'south'),
  (2, 'north late', '4,3', 2, 'north'),
  (3, 'east', '4;2', 3, 'east'),
  (4, 'north early', '3', 0, 'north');

-- Conf.GroupServer.GroupObj: one endpoint per node.
--   10.1.1.1 group 1 active, 10.1.1.2 group 1 inactive, 10.2.2.1 group 2,
--   10.3.3.1 group 3, 10.9.9.1 no group (enable_group N),
--   10.2.2.9 in group 2 by address but enable_group 'n': grouprealid 2, groupworkid -1,
--   10.7.7.1 lowercase 'y' and ip_group_name 'bj': group 3 whatever its address,
--   10.7.7.2 ip_group_name 'nosuch': no group, never a fallback to the address.
-- Conf.GroupServer.MixObj: the only group-1 endpoint is inactive, so a group-1
--   client walks on to the endpoints without a group.
-- Conf.GroupServer.DownObj: nothing is active anywhere.
-- Conf.GroupServer.PrioObj: for a group-2 client the first priority row holding 2
--   (id 1: groups 1 and 2) finds only an inactive endpoint; the next one (id 3:
--   groups 2 and 4) finds an active one, and its lists are the answer.
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, enable_group, ip_group_name) VALUES
  ('Conf', 'GroupServer', '10.1.1.1', 'active', 'active', 'Y', NULL),
  ('Conf', 'GroupServer', '10.1.1.2', 'active', 'inactive', 'Y', NULL),
  ('Conf', 'GroupServer', '10.2.2.1', 'active', 'active', 'Y', NULL),
  ('Conf', 'GroupServer', '10.3.3.1', 'active', 'active', 'Y', ''),
  ('Conf', 'GroupServer', '10.9.9.1', 'active', 'active', 'N', NULL),
  ('Conf', 'GroupServer', '10.2.2.9', 'active', 'active', 'n', NULL),
  ('Conf', 'GroupServer', '10.7.7.1', 'active', 'active', 'y', ' bj '),
  ('Conf', 'GroupServer', '10.7.7.2', 'active', 'active', 'Y', 'nosuch'),
  ('Conf', 'MixServer', '10.1.1.3', 'active', 'inactive', 'Y', NULL),
  ('Conf', 'MixServer', '10.9.9.2', 'active', 'active', 'N', NULL),
  ('Conf', 'MixServer', '10.9.9.3', 'inactive', 'inactive', 'N', NULL),
  ('Conf', 'DownServer', '10.1.1.4', 'active', 'inactive', 'Y', NULL),
  ('Conf', 'DownServer', '10.2.2.4', 'active', 'inactive', 'Y', NULL),
  ('Conf', 'PrioServer', '10.1.1.5', 'active', 'inactive', 'Y', NULL),
  ('Conf', 'PrioServer', '10.4.4.5', 'active', 'active', 'Y', NULL),
  ('Conf', 'PrioServer', '10.9.9.5', 'active', 'active', 'N', NULL);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint)
  SELECT application, server_name, node_name, CONCAT(server_name, '.ObjAdapter'),
    CONCAT(application, '.', server_name, '.', REPLACE(server_name, 'Server', 'Obj')),
    CONCAT('tcp -h ', node_name, ' -p 9000 -t 3000')
  FROM t_server_conf WHERE application = 'Conf';
