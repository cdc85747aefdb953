%% Distributed workloads between two nodes on 127.0.0.1 (bench/lib/erlang.js
%% starts both). The server node runs a registered bench_gs and a registered
%% counting process `sink`, prints READY and stays up until killed:
%%   erl -name S@127.0.0.1 ... -run bench_remote server
%% A client node runs one workload against it and prints "RESULT <number>":
%%   erl -name C@127.0.0.1 ... -run bench_remote client Bench ServerNode N Warmup
%% Warmup (default 0): the workload first runs untimed with that N, as on the
%% Grove and floor sides (only the call workloads have one: sends and casts
%% count up on the server, so they cannot run twice).
-module(bench_remote).
-export([server/0, client/1]).

server() ->
    {ok, _} = gen_server:start({local, bench_gs}, bench_gs, none, []),
    register(sink, spawn(fun() -> sink(0) end)),
    io:format("READY~n").

sink(C) ->
    receive
        {msg, _} -> sink(C + 1);
        {count, From} -> From ! {count, C}, sink(C)
    end.

client([Bench, Server, NStr]) -> client([Bench, Server, NStr, "0"]);
client([Bench, Server, NStr, WarmupStr]) ->
    Node = list_to_atom(Server),
    N = list_to_integer(NStr),
    Value = run(list_to_atom(Bench), Node, N, list_to_integer(WarmupStr)),
    io:format("RESULT ~s~n", [float_to_list(float(Value), [{decimals, 3}])]),
    halt(0).

now_us() -> erlang:monotonic_time(microsecond).
per_sec(N, T0, T1) -> N * 1000000 / max(1, T1 - T0).

%% First connection from a fresh VM: epmd lookup + TCP connect + handshake +
%% ping reply, in ms. N is ignored (the runner starts one VM per sample).
run(connect, Node, _N, 0) ->
    T0 = now_us(),
    pong = net_adm:ping(Node),
    (now_us() - T0) / 1000;

run(Bench, Node, N, Warmup) ->
    pong = net_adm:ping(Node),
    Warmup > 0 andalso measure(Bench, Node, Warmup),
    T0 = now_us(),
    Done = measure(Bench, Node, N),
    per_sec(Done, T0, now_us()).

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
    concurrent_calls({bench_gs, Node}, 16, N).

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
