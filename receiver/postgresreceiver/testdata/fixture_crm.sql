-- Fixture for the integration tests: the second database, "crm".
CREATE TABLE public.contacts (
    id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE
);
