-- Fixture for the integration tests: database "app". Every object kind the
-- receiver crawls, in two schemas, with cross-schema and multi-column foreign
-- keys. Keep it deterministic: the golden files depend on it.

CREATE SCHEMA sales;

CREATE TABLE public.customers (
    id         integer PRIMARY KEY,
    email      text NOT NULL,
    name       varchar(100),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_email_key UNIQUE (email),
    CONSTRAINT customers_email_check CHECK (position('@' IN email) > 1)
);
CREATE INDEX customers_lower_name_idx ON public.customers (lower(name));

CREATE TABLE public.products (
    sku    text,
    region text,
    price  numeric(10, 2) CONSTRAINT products_price_check CHECK (price >= 0),
    PRIMARY KEY (sku, region)
);

CREATE SEQUENCE public.invoice_number_seq START 1000;

CREATE TABLE sales.orders (
    id          bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES public.customers (id),
    ordered_at  date NOT NULL
);
CREATE INDEX orders_customer_idx ON sales.orders (customer_id);
CREATE INDEX orders_recent_idx ON sales.orders (ordered_at) WHERE ordered_at >= '2026-01-01';

CREATE TABLE sales.order_lines (
    order_id bigint REFERENCES sales.orders (id) ON DELETE CASCADE,
    line_no  integer,
    sku      text NOT NULL,
    region   text NOT NULL,
    quantity integer CONSTRAINT order_lines_quantity_check CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_product_fkey FOREIGN KEY (sku, region) REFERENCES public.products (sku, region)
);

CREATE VIEW sales.order_totals AS
    SELECT o.id, o.customer_id, sum(l.quantity) AS items
    FROM sales.orders o JOIN sales.order_lines l ON l.order_id = o.id
    GROUP BY o.id, o.customer_id;

CREATE MATERIALIZED VIEW sales.daily_sales AS
    SELECT ordered_at AS day, count(*) AS orders FROM sales.orders GROUP BY ordered_at;
CREATE UNIQUE INDEX daily_sales_day_idx ON sales.daily_sales (day);

CREATE TABLE sales.events (
    id          bigint NOT NULL,
    happened_at date NOT NULL,
    payload     jsonb,
    PRIMARY KEY (id, happened_at)
) PARTITION BY RANGE (happened_at);
CREATE TABLE sales.events_2025 PARTITION OF sales.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE sales.events_2026 PARTITION OF sales.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX events_happened_at_idx ON sales.events (happened_at);

-- A foreign key to a partitioned table: PostgreSQL adds one hidden clone of
-- the constraint per partition, which the receiver must not report.
CREATE TABLE sales.event_tags (
    event_id    bigint NOT NULL,
    happened_at date NOT NULL,
    tag         text NOT NULL,
    FOREIGN KEY (event_id, happened_at) REFERENCES sales.events (id, happened_at)
);

CREATE TABLE sales.reservations (
    room   integer NOT NULL,
    during tsrange NOT NULL,
    CONSTRAINT reservations_no_overlap EXCLUDE USING gist (during WITH &&)
);

CREATE FUNCTION sales.order_total(order_id bigint) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT sum(quantity) FROM sales.order_lines WHERE order_lines.order_id = $1 $$;
CREATE FUNCTION sales.order_total(order_id bigint, min_quantity integer) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT sum(quantity) FROM sales.order_lines WHERE order_lines.order_id = $1 AND quantity >= $2 $$;
CREATE PROCEDURE sales.refresh_daily_sales()
    LANGUAGE plpgsql
    AS $$ BEGIN REFRESH MATERIALIZED VIEW sales.daily_sales; END $$;
