-- Conformance fixture: IDC groups, the group-priority walk and stations
-- (registry-semantics.md 1.2 to 1.5). Load after db_tars.sql.
--
-- Groups: an address joins a group by an exact allow_ip_rule token or by the
-- "a.b.c.*" wildcard of its first three bytes. 127.0.0.1 (the tests' own peer
-- address) is in group 1; the node name "node-x" is in group 3. 10.1.1.77 is in
-- group 2 (an exact entry beats the wildcard); "node-y" is listed by groups 1 and 2
-- and the later group_id wins; " node-z" keeps its blank, so "node-z" is in no group.
-- group_id 4294967295 reads as -1 (strto<int>): its clients count as in no group.
INSERT INTO t_server_group_rule (group_id, allow_ip_rule, group_name) VALUES
  (1, '10.1.1.*|127.0.0.1|node-y| node-z', 'sz'),
  (2, '10.2.2.*|10.1.1.77|node-y', 'sh'),
  (3, '10.3.3.*||node-x', 'bj'),
  (4, '10.4.4.*', 'gz'),
  (5, '10.5.5.0/24', 'cidr'),
  (4294967295, '10.6.6.*', 'minus');

-- Priorities, walked in list_order: the rows holding the client's group, in order.
-- Station "north" names two rows: its first one by list_order (id 4) counts.
-- Row 5 reads its group_list "-1|x|0x3" as the groups -1, 0 and 3.
INSERT INTO t_group_priority (id, name, group_list, list_order, station) VALUES
  (1, 'south first', '1|2', 1, 'south'),
  (2, 'north late', '4,3', 2, 'north'),
  (3, 'east', '4;2', 3, 'east'),
  (4, 'north early', '3', 0, 'north'),
  (5, 'west', '-1|x|0x3', 9, 'west');

-- Conf.GroupServer.GroupObj: one endpoint per node.
--   10.1.1.1 group 1 active, 10.1.1.2 group 1 inactive, 10.2.2.1 group 2,
--   10.3.3.1 group 3, 10.9.9.1 no group (enable_group N),
--   10.2.2.9 in group 2 by address but enable_group 'n': grouprealid 2, groupworkid -1,
--   10.7.7.1 lowercase 'y' and ip_group_name 'bj': group 3 whatever its address,
--   10.7.7.2 ip_group_name 'nosuch': no group, never a fallback to the address,
--   10.7.7.3 ip_group_name 'sh' with enable_group N: grouprealid 2, groupworkid -1.
--   10.7.7.1 is weighted dynamically (-v 2): answered active with weightType 0.
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
  ('Conf', 'GroupServer', '10.7.7.3', 'active', 'active', 'N', 'sh'),
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
UPDATE t_adapter_conf SET endpoint = 'tcp -h 10.7.7.1 -p 9000 -t 3000 -v 2 -w 30' WHERE node_name = '10.7.7.1';
