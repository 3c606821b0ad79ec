-- Conformance fixture: set routing (registry-semantics.md 1.6). Load after db_tars.sql.
--
-- Shop.CartServer.CartObj, one endpoint per node:
--   10.0.1.1 shop.sz.1 active      10.0.1.2 shop.sz.1 inactive
--   10.0.1.3 shop.sz.2 active      10.0.1.4 shop.sz.* active (the area's wildcard group)
--   10.0.1.5 shop.sh.1 active, also in IDC group 9 (enable_group Y)
--   10.0.1.6 not in a set          10.0.1.7 shop.sz.3 inactive, enable_set lowercase 'y'
--   10.0.1.8 enable_set Y with NULL set columns: setId "..", not in the set index
--   10.0.1.9 enable_set Y with set name "*": setId "*.sz.1", not in the set index
--   10.0.1.10 set area "*" and 10.0.1.11 an empty (not NULL) set group: not in the set index
--   10.0.1.12 bak_flag 1 in set "bak.sz.1": never answered, so set "bak" is unknown
--   10.0.1.13 set "inv.*.1", the only endpoint of set name "inv": not indexed either
--   10.0.1.3 is weighted dynamically (-v 2): answered active with weightType 0.
-- Shop.PlainServer.PlainObj has no set at all.
INSERT INTO t_server_group_rule (group_id, allow_ip_rule, group_name) VALUES (9, '10.0.1.*', 'cart');
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, enable_group, enable_set, set_name, set_area, set_group) VALUES
  ('Shop', 'CartServer', '10.0.1.1', 'active', 'active', 'N', 'Y', 'shop', 'sz', '1'),
  ('Shop', 'CartServer', '10.0.1.2', 'active', 'inactive', 'N', 'Y', 'shop', 'sz', '1'),
  ('Shop', 'CartServer', '10.0.1.3', 'active', 'active', 'N', 'Y', 'shop', 'sz', '2'),
  ('Shop', 'CartServer', '10.0.1.4', 'active', 'active', 'N', 'Y', 'shop', 'sz', '*'),
  ('Shop', 'CartServer', '10.0.1.5', 'active', 'active', 'Y', 'Y', 'shop', 'sh', '1'),
  ('Shop', 'CartServer', '10.0.1.6', 'active', 'active', 'N', 'N', NULL, NULL, NULL),
  ('Shop', 'CartServer', '10.0.1.7', 'active', 'inactive', 'N', 'y', 'shop', 'sz', '3'),
  ('Shop', 'CartServer', '10.0.1.8', 'active', 'active', 'N', 'Y', NULL, NULL, NULL),
  ('Shop', 'CartServer', '10.0.1.9', 'active', 'active', 'N', 'Y', '*', 'sz', '1'),
  ('Shop', 'CartServer', '10.0.1.10', 'active', 'active', 'N', 'Y', 'shop', '*', '1'),
  ('Shop', 'CartServer', '10.0.1.11', 'active', 'active', 'N', 'Y', 'shop', 'sz', ''),
  ('Shop', 'CartServer', '10.0.1.13', 'active', 'active', 'N', 'Y', 'inv', '*', '1'),
  ('Shop', 'PlainServer', '10.0.2.1', 'active', 'active', 'N', 'N', NULL, NULL, NULL);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint)
  SELECT application, server_name, node_name, CONCAT(server_name, '.ObjAdapter'),
    CONCAT(application, '.', server_name, '.', REPLACE(server_name, 'Server', 'Obj')),
    CONCAT('tcp -h ', node_name, ' -p 9100 -t 3000')
  FROM t_server_conf WHERE application = 'Shop';
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, enable_group, enable_set, set_name, set_area, set_group, bak_flag) VALUES
  ('Bak', 'CartServer', '10.0.1.12', 'active', 'active', 'N', 'Y', 'bak', 'sz', '1', 1);
INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint) VALUES
  ('Bak', 'CartServer', '10.0.1.12', 'CartServer.ObjAdapter', 'Shop.CartServer.CartObj', 'tcp -h 10.0.1.12 -p 9100 -t 3000');
UPDATE t_adapter_conf SET endpoint = 'tcp -h 10.0.1.3 -p 9100 -t 3000 -v 2 -w 30' WHERE node_name = '10.0.1.3';
