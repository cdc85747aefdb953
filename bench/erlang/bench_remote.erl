%% Distributed workloads between two nodes on 127.0.0.1 (bench/lib/erlang.js
%% starts both). The server node runs a registered bench_gs, a registered
%% counting process `sink` and the default pg scope, prints READY and stays up
%% until killed:
%%   erl -name S@127.0.0.1 ... -run bench_remote server
%% A client node runs one workload against it and prints "RESULT <number>":
%%   erl -name C@127.0.0.1 ... -run bench_remote client Bench ServerNode N Warmup
%% ServerNode may list several nodes separated by commas (global_register runs
%% against two servers); the workload uses the first unless it needs them all.
%% Warmup (default 0): the workload first runs untimed with that N, as on the
%% Grove and floor sides (only the call workloads have one: sends and casts
%% count up on the server, so they cannot run twice).
-module(bench_remote).
-export([server/0, client/1, echo/1, pg_members/3]).

server() ->
    {ok, _} = gen_server:start({local, bench_gs}, bench_gs, none, []),
    register(sink, spawn(fun() -> sink(0) end)),
    {ok, _} = pg:start(pg),
    io:format("READY~n").

%% rpc_call's function.
echo(X) -> X.

%% pg_broadcast's members on this node: Count processes in group `bench` of the
%% default scope, each counting {b, I} and telling ReportTo `pg_done` at N.
pg_members(Count, ReportTo, N) ->
    Pids = [spawn(fun() -> member(0, N, ReportTo) end) || _ <- lists:seq(1, Count)],
    ok = pg:join(bench, Pids),
    Count.

member(C, N, ReportTo) ->
    receive
        {b, _} when C + 1 =:= N -> ReportTo ! pg_done, member(C + 1, N, ReportTo);
        {b, _} -> member(C + 1, N, ReportTo)
    end.

sink(C) ->
    receive
        {msg, _} -> sink(C + 1);
        {count, From} -> From ! {count, C}, sink(C)
    end.

client([Bench, Server, NStr]) -> client([Bench, Server, NStr, "0"]);
client([Bench, Servers, NStr, WarmupStr]) ->
    Nodes = [list_to_atom(S) || S <- string:split(Servers, ",", all)],
    N = list_to_integer(NStr),
    Value = run(list_to_atom(Bench), Nodes, N, list_to_integer(WarmupStr)),
    io:format("RESULT ~s~n", [float_to_list(float(Value), [{decimals, 3}])]),
    halt(0).

now_us() -> erlang:monotonic_time(microsecond).
per_sec(N, T0, T1) -> N * 1000000 / max(1, T1 - T0).

%% First connection from a fresh VM: epmd lookup + TCP connect + handshake +
%% ping reply, in ms. N is ignored (the runner starts one VM per sample).
run(connect, [Node], _N, 0) ->
    T0 = now_us(),
    pong = net_adm:ping(Node),
    (now_us() - T0) / 1000;

run(Bench, [Node | _] = Nodes, N, Warmup) ->
    [pong = net_adm:ping(Nd) || Nd <- Nodes],
    setup(Bench, Node, N),
    Warmup > 0 andalso measure(Bench, Node, Warmup),
    T0 = now_us(),
    Done = measure(Bench, Node, N),
    per_sec(Done, T0, now_us()).

%% Untimed set-up. pg_broadcast: 500 members here and 500 on the server in group
%% `bench`, seen by this node. global_register: global has synced the three nodes.
setup(pg_broadcast, Node, N) ->
    {ok, _} = pg:start(pg),
    pg_members(500, self(), N),
    500 = rpc:call(Node, bench_remote, pg_members, [500, self(), N]),
    wait_members(bench, 1000);
setup(global_register, _Node, _N) ->
    ok = global:sync();
setup(_, _, _) -> ok.

wait_members(Group, Count) ->
    case length(pg:get_members(Group)) of
        Count -> ok;
        _ -> timer:sleep(5), wait_members(Group, Count)
    end.

%% Each returns the number of operations it performed.

%% erlang_call / erlang_send: the Erlang-to-Erlang baseline of Grove calling and
%% sending to an Erlang node (bench/grove/erlang_*.js).
measure(erlang_call, Node, N) -> measure(remote_call, Node, N);
measure(erlang_send, Node, N) -> measure(remote_send, Node, N);
measure(remote_send, Node, N) ->
    sends({sink, Node}, N),
    {sink, Node} ! {count, self()},
    receive {count, N} -> N end;
measure(remote_cast, Node, N) ->
    casts({bench_gs, Node}, N),
    N = gen_server:call({bench_gs, Node}, count),
    N;
measure(remote_call, Node, N) ->
    calls({bench_gs, Node}, N),
    N;
measure(remote_call_16, Node, N) ->
    concurrent_calls({bench_gs, Node}, 16, N);
measure(rpc_call, Node, N) ->
    rpc_calls(Node, N),
    N;
measure(pg_broadcast, _Node, N) ->
    broadcasts(bench, N),
    [receive pg_done -> ok end || _ <- lists:seq(1, 1000)],
    N;
measure(global_register, _Node, N) ->
    global_names(N),
    N.

rpc_calls(_Node, 0) -> ok;
rpc_calls(Node, I) -> I = rpc:call(Node, bench_remote, echo, [I]), rpc_calls(Node, I - 1).

broadcasts(_Group, 0) -> ok;
broadcasts(Group, I) ->
    [P ! {b, I} || P <- pg:get_members(Group)],
    broadcasts(Group, I - 1).

global_names(0) -> ok;
global_names(I) ->
    yes = global:register_name({bench, I}, self()),
    _ = global:unregister_name({bench, I}),
    global_names(I - 1).

sends(_To, 0) -> ok;
sends(To, I) -> To ! {msg, I}, sends(To, I - 1).

casts(_To, 0) -> ok;
casts(To, I) -> gen_server:cast(To, {msg, I}), casts(To, I - 1).

calls(_To, 0) -> ok;
calls(To, I) -> pong = gen_server:call(To, ping), calls(To, I - 1).

concurrent_calls(To, Callers, N) ->
    Self = self(),
    Share = N div Callers,
    Pids = [spawn_link(fun() -> calls(To, Share), Self ! {done, self()} end)
            || _ <- lists:seq(1, Callers)],
    [receive {done, P} -> ok end || P <- Pids],
    Share * Callers.
