-- Fixture for the integration tests (loaded as root in one multi-statement
-- script). What it proves:
--   * IDs are unique: shop.customers, shop.orders and catalog.products each
--     have a PRIMARY key and an index named idx_created;
--   * foreign keys: single-column (orders -> customers), composite
--     (shipments -> order_items), cross-schema (order_items ->
--     catalog.products), self-referencing (customers.referred_by);
--   * unique, check (table and column level) and prefix indexes, a FULLTEXT
--     index, a system-versioned table;
--   * views, a function, a procedure, a trigger;
--   * skipped: a sequence (not crawled) and the archive schema (not
--     configured in the golden test).
CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE catalog CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;

CREATE TABLE catalog.products (
  sku VARCHAR(32) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  price DECIMAL(10,2) NOT NULL CHECK (price >= 0),
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  INDEX idx_created (created_at),
  FULLTEXT INDEX ft_name (name)
) ENGINE=InnoDB COMMENT='what we sell';

CREATE TABLE catalog.price_history (
  sku VARCHAR(32) CHARACTER SET ascii NOT NULL,
  price DECIMAL(10,2) NOT NULL
) WITH SYSTEM VERSIONING;

CREATE VIEW catalog.cheap_products AS SELECT sku, name, price FROM catalog.products WHERE price < 10;

CREATE TABLE shop.customers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(255) NOT NULL,
  name VARCHAR(100) NULL,
  referred_by INT UNSIGNED NULL COMMENT 'customer who referred this one',
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uq_email (email),
  CONSTRAINT fk_customers_referrer FOREIGN KEY (referred_by) REFERENCES shop.customers (id) ON DELETE SET NULL,
  INDEX idx_created (created_at),
  INDEX idx_name_prefix (name(10))
) ENGINE=InnoDB;

CREATE TABLE shop.orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
  total DECIMAL(12,2) NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  INDEX idx_created (created_at),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES shop.customers (id) ON DELETE CASCADE,
  CONSTRAINT chk_total CHECK (total >= 0)
) ENGINE=InnoDB;

CREATE TABLE shop.order_items (
  order_id BIGINT NOT NULL,
  line_no SMALLINT NOT NULL,
  sku VARCHAR(32) CHARACTER SET ascii NOT NULL,
  quantity INT NOT NULL DEFAULT 1,
  PRIMARY KEY (order_id, line_no),
  INDEX idx_sku (sku),
  CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES shop.orders (id) ON DELETE CASCADE ON UPDATE RESTRICT,
  CONSTRAINT fk_items_product FOREIGN KEY (sku) REFERENCES catalog.products (sku)
) ENGINE=InnoDB;

CREATE TABLE shop.shipments (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  line_no SMALLINT NOT NULL,
  carrier VARCHAR(40) NOT NULL,
  CONSTRAINT fk_shipment_item FOREIGN KEY (order_id, line_no) REFERENCES shop.order_items (order_id, line_no)
) ENGINE=InnoDB;

CREATE VIEW shop.customer_orders AS
  SELECT c.id AS customer_id, c.email, o.id AS order_id, o.total FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id;

CREATE FUNCTION shop.order_total(p_order_id BIGINT) RETURNS DECIMAL(12,2)
  READS SQL DATA DETERMINISTIC COMMENT 'sum of an order'
  RETURN (SELECT COALESCE(SUM(quantity), 0) FROM shop.order_items WHERE order_id = p_order_id);

CREATE PROCEDURE shop.archive_orders(IN p_before DATETIME, OUT p_count INT)
  MODIFIES SQL DATA
BEGIN
  SELECT COUNT(*) INTO p_count FROM shop.orders WHERE created_at < p_before;
END;

CREATE TRIGGER shop.orders_before_insert BEFORE INSERT ON shop.orders FOR EACH ROW
  SET NEW.total = GREATEST(NEW.total, 0);

CREATE SEQUENCE shop.invoice_numbers START WITH 1000;

CREATE DATABASE archive;
CREATE TABLE archive.old_orders (id BIGINT NOT NULL PRIMARY KEY);
