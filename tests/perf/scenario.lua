-- wrk scenarios for the Leads service (one script, the scenario is the first argument):
--   wrk -t2 -c64 -d10s --timeout 30s --latency -s tests/perf/scenario.lua http://127.0.0.1:PORT \
--       -- <scenario> <data dir> [run tag]
-- The data dir holds what tests/perf/leadsbench.py wrote after loading: token.txt (a JWT),
-- workspace.txt, ids.txt (lead ids, one a line), terms.txt (selective search terms) and,
-- when the harness walked the list, cursors.txt (sort=updated_at cursors spread over it).
-- done() prints one line "LEADSBENCH_JSON {...}" that leadsbench.py parses.

local API = "/api/v1/tenant/leads"
local STATUSES = { "new", "contacted", "replied", "converted" }
local COMMON_TERM = "smith" -- about 2% of the rows
local SHORT_TERM = "an" -- about a quarter of the rows
local SON_TERM = "son" -- issue 10's comparison with a plain LIKE scan (tests/perf/like_baseline.py)
local ACTIVITY_TYPES = { "email_opened", "email_clicked", "note", "email_sent" }

-- The mix: 80% reads, 20% writes (weights in percent).
local MIX = {
    { "get_by_id", 50 },
    { "list_first_page", 12 },
    { "list_by_status", 10 },
    { "search_selective", 5 },
    { "list_deep_page", 3 },
    { "create", 8 },
    { "patch", 8 },
    { "record_activity", 4 },
}

local threads = {}

-- Main state: number the threads so each one makes its own unique e-mails.
function setup(thread)
    table.insert(threads, thread)
    thread:set("thread_no", #threads)
end

local function read_lines(path)
    local file = assert(io.open(path, "r"), "cannot open " .. path)
    local lines = {}
    for line in file:lines() do
        if line ~= "" then
            table.insert(lines, line)
        end
    end
    file:close()
    return lines
end

local function url_encode(text)
    return (text:gsub("[^%w%-%._~]", function(c)
        return string.format("%%%02X", string.byte(c))
    end))
end

local scenario, workspace, run_tag
local ids, terms, cursors = {}, {}, {}
local get_headers, json_headers
local counter = 0
local builders = {}
local prebuilt -- request strings for the read-only scenarios that have a fixed set
local mix_table = {}

local function random_id()
    return ids[math.random(#ids)]
end

local function list_path(query)
    return API .. "?workspace=" .. workspace .. query
end

local function get(path)
    return wrk.format("GET", path, get_headers)
end

local function next_seq()
    counter = counter + 1
    return counter
end

builders.get_by_id = function()
    return get(API .. "/" .. random_id())
end
builders.list_first_page = function()
    return get(list_path("&limit=50"))
end
builders.list_deep_page = function()
    return get(list_path("&limit=50&offset=10000"))
end
builders.list_by_status = function()
    return get(list_path("&status=" .. STATUSES[math.random(#STATUSES)] .. "&limit=50"))
end
builders.list_contactable = function()
    return get(list_path("&do_not_contact=false&limit=50"))
end
builders.list_suppressed = function()
    return get(list_path("&do_not_contact=true&limit=50"))
end
builders.search_one_letter = function()
    return get(list_path("&search=a&limit=50"))
end
builders.search_selective = function()
    return get(list_path("&search=" .. url_encode(terms[math.random(#terms)]) .. "&limit=50"))
end
builders.search_common = function()
    return get(list_path("&search=" .. COMMON_TERM .. "&limit=50"))
end
builders.search_two_chars = function()
    return get(list_path("&search=" .. SHORT_TERM .. "&limit=50"))
end
builders.search_son = function()
    return get(list_path("&search=" .. SON_TERM .. "&limit=50"))
end
builders.cursor_page = function()
    return get(list_path("&sort=updated_at&limit=50&cursor=" .. cursors[math.random(#cursors)]))
end
local function create_body(n)
    return string.format(
        '{"workspace_slug":"%s","email":"bench.%s.t%d.%d@example.com","first_name":"Bench","last_name":"User%d",'
            .. '"company":"Load Test Ltd","status":"new","attributes":{"source":"wrk","seq":%d}}',
        workspace, run_tag, thread_no, n, n, n)
end
builders.create = function()
    return wrk.format("POST", API, json_headers, create_body(next_seq()))
end
builders.create_idempotent = function()
    -- A fresh key per request: every one runs (and is recorded), none replays.
    local n = next_seq()
    local headers = {}
    for name, value in pairs(json_headers) do
        headers[name] = value
    end
    headers["Idempotency-Key"] = string.format("bench-%s-t%d-%d", run_tag, thread_no, n)
    return wrk.format("POST", API, headers, create_body(n))
end
builders.patch = function()
    local n = next_seq()
    local body = string.format('{"company":"Patched %s %d-%d","attributes":{"bench_seq":%d}}', run_tag, thread_no, n, n)
    return wrk.format("PATCH", API .. "/" .. random_id(), json_headers, body)
end
builders.record_activity = function()
    local n = next_seq()
    local body = string.format('{"type":"%s","campaign_id":"cmp_bench","data":{"seq":%d,"thread":%d}}',
        ACTIVITY_TYPES[math.random(#ACTIVITY_TYPES)], n, thread_no)
    return wrk.format("POST", API .. "/" .. random_id() .. "/activity", json_headers, body)
end
builders.mixed = function()
    return builders[mix_table[math.random(#mix_table)]]()
end

function init(args)
    scenario = args[1]
    local dir = args[2]
    run_tag = args[3] or "run"
    assert(scenario and builders[scenario], "unknown scenario: " .. tostring(scenario))
    assert(dir, "usage: -- <scenario> <data dir> [run tag]")
    local token = read_lines(dir .. "/token.txt")[1]
    workspace = read_lines(dir .. "/workspace.txt")[1]
    ids = read_lines(dir .. "/ids.txt")
    terms = read_lines(dir .. "/terms.txt")
    local cursor_file = io.open(dir .. "/cursors.txt", "r")
    if cursor_file then
        cursor_file:close()
        cursors = read_lines(dir .. "/cursors.txt")
    end
    assert(scenario ~= "cursor_page" or #cursors > 0, "cursor_page needs cursors.txt (the harness's walk)")
    assert(#ids > 0 and #terms > 0, "ids.txt and terms.txt must not be empty")
    get_headers = { ["Authorization"] = "Bearer " .. token }
    json_headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
    math.randomseed(7919 * (thread_no or 1))
    for _, entry in ipairs(MIX) do
        for _ = 1, entry[2] do
            table.insert(mix_table, entry[1])
        end
    end
    -- Formatting costs wrk CPU the server would otherwise get: pre-build the get-by-id
    -- requests (one per id) and the fixed list requests.
    if scenario == "get_by_id" then
        prebuilt = {}
        for i, id in ipairs(ids) do
            prebuilt[i] = get(API .. "/" .. id)
        end
    elseif scenario == "list_first_page" or scenario == "list_deep_page" or scenario == "search_common"
        or scenario == "search_two_chars" or scenario == "search_son" or scenario == "list_contactable" or scenario == "list_suppressed"
        or scenario == "search_one_letter" then
        prebuilt = { builders[scenario]() }
    end
end

function request()
    if prebuilt then
        return prebuilt[math.random(#prebuilt)]
    end
    return builders[scenario]()
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'LEADSBENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.1f,'
            .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f},'
            .. '"errors":{"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
        summary.requests, summary.duration, summary.bytes, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
        latency.max, latency.mean, e.status, e.connect, e.read, e.write, e.timeout))
end
