# vim:set ft= ts=4 sw=4 et fdm=marker:
# add_header: added to 2xx/3xx answers nginx lists, to every status with
# "always", $variables expanded, an empty value adds nothing, and a level
# with its own add_header does not inherit the parent's.

use Test::Nginx::Socket::Lua;

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a 200 gets both, a 404 only the "always" one; variables are expanded
--- config
    add_header X-Srv "from server";
    location = /t {
        add_header X-Uri $uri;
        add_header X-Always yes always;
        add_header X-Empty "";
        return 200 "ok\n";
    }
    location = /missing {
        add_header X-Uri $uri;
        add_header X-Always yes always;
        return 404;
    }
--- request eval
["GET /t", "GET /missing"]
--- error_code eval
[200, 404]
--- response_headers eval
["X-Uri: /t\nX-Always: yes\n!X-Empty\n!X-Srv", "!X-Uri\nX-Always: yes"]



=== TEST 2: a location without add_header inherits the server's
--- config
    add_header X-Srv "from server";
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- response_headers
X-Srv: from server
