-- An ordinary psql script, not a dump: what a statement splitter gets wrong.
-- It's run by psql and by pgfeed, and the two databases must dump alike.
CREATE TABLE t1 (id integer PRIMARY KEY, s text); INSERT INTO t1 VALUES (1, 'a;b'); INSERT INTO t1 VALUES (2, E'it\'s; \\ tricky');
/* a block comment; /* nested; it's */ still a comment; */ INSERT INTO t1 VALUES (3, 'after a nested comment');
INSERT INTO t1 VALUES (4, $$dollar; 'quoted'$$), (5, $tag$ $$ ; $tag$);
INSERT INTO t1 VALUES (6, U&'\0041\00E9;');  -- 'Aé;' and a comment's quote: it's
INSERT INTO t1
	VALUES (7,
	'multi
line; string');
CREATE TABLE "semi;colon" ("a""b" integer); INSERT INTO "semi;colon" VALUES (8);
CREATE FUNCTION f1(x integer) RETURNS integer LANGUAGE sql AS 'SELECT x + 1; ';
INSERT INTO t1 SELECT 9, 'nine' WHERE 1 = 1 -- a comment; with a semicolon
;
INSERT INTO t1 VALUES (10, 'the next line is a meta-command in a string
\! echo nope
\.
');
INSERT INTO t1 VALUES (15, 'ends with a backslash\');
\set ON_ERROR_STOP on
COPY t1 FROM stdin;
11	copy row; with a semicolon
12	\\.
16	\N
\.
INSERT INTO t1 VALUES (13, 'after the copy: ' || '5'::integer::text);
BEGIN;
INSERT INTO t1 VALUES (14, 'in a transaction');
COMMIT;
CREATE FUNCTION f2() RETURNS integer LANGUAGE sql
BEGIN ATOMIC
	SELECT 1;
	SELECT 2;
END;
CREATE TABLE log (n integer);
CREATE VIEW v AS SELECT id, s FROM t1;
CREATE RULE v_insert AS ON INSERT TO v DO INSTEAD (
	INSERT INTO t1 VALUES (NEW.id, NEW.s);
	INSERT INTO log VALUES (NEW.id)
);
INSERT INTO v VALUES (17, 'through a rule; with two actions');
DO $do$
BEGIN
	EXECUTE $x$INSERT INTO t1 VALUES (18, 'from DO; $$ inside')$x$;
END
$do$;
SELECT 'no output; on stdout' AS "a;b" ;
