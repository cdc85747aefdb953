%% Local (one node) workloads. Run by bench/lib/erlang.js as
%%   erl +S 1 +P 4194304 -noshell -kernel logger_level none -run bench_local main Bench N Warmup
%% and prints exactly one line "RESULT <number>" (unit: see bench/lib/workloads.js).
%% Warmup (default 0): the workload first runs untimed with that N, as on the
%% Grove and floor sides (only call, statem_call and restart have one).
-module(bench_local).
-export([main/1]).

main([Bench, NStr]) -> main([Bench, NStr, "0"]);
main([Bench, NStr, WarmupStr]) ->
    N = list_to_integer(NStr),
    Value = run(list_to_atom(Bench), N, list_to_integer(WarmupStr)),
    io:format("RESULT ~s~n", [float_to_list(float(Value), [{decimals, 3}])]),
    halt(0).

now_us() -> erlang:monotonic_time(microsecond).
per_sec(N, T0, T1) -> N * 1000000 / max(1, T1 - T0).

%% A producer sends {msg, I} N times to a counting consumer; timed from the
%% producer's spawn until the consumer reports N.
run(local_send, N) ->
    Self = self(),
    Consumer = spawn(fun() -> count_loop(0, N, Self) end),
    T0 = now_us(),
    spawn(fun() -> produce(Consumer, N) end),
    receive {counted, N} -> ok end,
    per_sec(N, T0, now_us());

run(local_pingpong, N) ->
    Pong = spawn(fun pong_loop/0),
    T0 = now_us(),
    ping(Pong, N),
    per_sec(N, T0, now_us());


run(cast, N) ->
    {ok, Gs} = bench_gs:start_link(none),
    T0 = now_us(),
    casts(Gs, N),
    N = gen_server:call(Gs, count),
    per_sec(N, T0, now_us());

%% N idle processes, no pid list kept; timed until the run queue is empty,
%% i.e. every process has reached its receive.
run(spawn, N) ->
    T0 = now_us(),
    spawn_idle(N),
    wait_idle(),
    per_sec(N, T0, now_us());

run(spawn_bytes, N) ->
    memory_delta(N, fun() -> spawn_idle(N) end);

run(genserver_bytes, N) ->
    memory_delta(N, fun() -> start_servers(N) end);

%% Resident-set growth of the VM for N idle processes, as `top` shows it, in MB
%% (10^6 bytes) per 1,000,000 processes, i.e. bytes per process (the Grove side
%% reads its own RSS the same way).
run(idle_1m, N) ->
    wait_idle(),
    erlang:garbage_collect(),
    Before = rss_bytes(),
    spawn_idle(N),
    wait_idle(),
    (rss_bytes() - Before) / N;

%% A process with 1,000 queued {junk, I} messages sends itself {match, I} and
%% takes it with a selective receive, N times; each receive passes the 1,000.
run(mailbox_selective, N) ->
    Self = self(),
    spawn(fun() ->
              [self() ! {junk, I} || I <- lists:seq(1, 1000)],
              T0 = now_us(),
              selective(N),
              T1 = now_us(),
              {message_queue_len, 1000} = process_info(self(), message_queue_len),
              Self ! {rate, per_sec(N, T0, T1)}
          end),
    receive {rate, Rate} -> Rate end;

%% one_for_one restarts, a fresh bench_sup every 100 crashes (start and stop
%% not timed). Crash = exit(Child, kill), as in the anchor's 179k/s figure.
run(restart, N) -> restart(N, kill);
run(restart_self_crash, N) -> restart(N, self_crash);

%% The same work split over the schedulers (run with +S C, C = cores): C shares at
%% once, each N div C calls to its own bench_gs, or N div C token hops around its own
%% ring of 1,000 processes; timed until every share is done.
run(parallel_call, N) -> parallel(N, fun(K) -> {ok, Gs} = bench_gs:start_link(none), calls(Gs, K) end);
run(parallel_ring, N) -> parallel(N, fun ring/1).

%% The workloads with a warm-up; the others have none.
run(call, N, Warmup) ->
    {ok, Gs} = bench_gs:start_link(none),
    calls(Gs, Warmup),
    T0 = now_us(),
    calls(Gs, N),
    per_sec(N, T0, now_us());
run(statem_call, N, Warmup) ->
    {ok, Sm} = bench_statem:start_link(),
    statem_calls(Sm, Warmup),
    T0 = now_us(),
    statem_calls(Sm, N),
    per_sec(N, T0, now_us());
run(Parallel, N, Warmup) when Parallel =:= parallel_call; Parallel =:= parallel_ring ->
    Warmup > 0 andalso run(Parallel, Warmup),
    run(Parallel, N);
run(Restart, N, Warmup) when Restart =:= restart; Restart =:= restart_self_crash ->
    Warmup > 0 andalso run(Restart, Warmup),
    run(Restart, N);
run(Bench, N, 0) -> run(Bench, N).

count_loop(N, N, Report) -> Report ! {counted, N};
count_loop(C, N, Report) -> receive {msg, _} -> count_loop(C + 1, N, Report) end.

produce(_To, 0) -> ok;
produce(To, I) -> To ! {msg, I}, produce(To, I - 1).

pong_loop() -> receive {ping, From} -> From ! pong, pong_loop() end.

ping(_Pong, 0) -> ok;
ping(Pong, I) -> Pong ! {ping, self()}, receive pong -> ping(Pong, I - 1) end.

calls(_Gs, 0) -> ok;
calls(Gs, I) -> pong = gen_server:call(Gs, ping), calls(Gs, I - 1).

statem_calls(_Sm, 0) -> ok;
statem_calls(Sm, I) -> pong = gen_statem:call(Sm, ping), statem_calls(Sm, I - 1).

casts(_Gs, 0) -> ok;
casts(Gs, I) -> gen_server:cast(Gs, {msg, I}), casts(Gs, I - 1).

idle() -> receive stop -> ok end.

parallel(N, Share) ->
    C = erlang:system_info(schedulers_online),
    K = N div C,
    Self = self(),
    T0 = now_us(),
    [spawn(fun() -> Share(K), Self ! share_done end) || _ <- lists:seq(1, C)],
    [receive share_done -> ok end || _ <- lists:seq(1, C)],
    per_sec(K * C, T0, now_us()).

%% A ring of 1,000 processes; a token goes Hops hops around it.
ring(Hops) ->
    Self = self(),
    First = spawn(fun() -> receive {next, Next} -> ring_node(Next, Self) end end),
    Last = lists:foldl(fun(_, Prev) -> spawn(fun() -> ring_node(Prev, Self) end) end, First, lists:seq(2, 1000)),
    First ! {next, Last},
    First ! Hops,
    receive ring_done -> ok end.

ring_node(Next, Report) ->
    receive
        0 -> Report ! ring_done, ring_node(Next, Report);
        Left -> Next ! Left - 1, ring_node(Next, Report)
    end.

selective(0) -> ok;
selective(I) -> self() ! {match, I}, receive {match, I} -> selective(I - 1) end.

%% The OS process's resident set: /proc/self/statm's second field, in pages.
rss_bytes() ->
    {ok, Statm} = file:read_file("/proc/self/statm"),
    [_, Resident | _] = binary:split(Statm, <<" ">>, [global]),
    binary_to_integer(Resident) * 4096.

spawn_idle(0) -> ok;
spawn_idle(I) -> spawn(fun idle/0), spawn_idle(I - 1).

start_servers(0) -> ok;
start_servers(I) ->
    {ok, _} = gen_server:start(bench_gs, none, []),
    start_servers(I - 1).

wait_idle() ->
    case erlang:statistics(total_run_queue_lengths_all) of
        0 -> ok;
        _ -> erlang:yield(), wait_idle()
    end.

%% erlang:memory(processes) delta / N once every new process is idle.
memory_delta(N, Start) ->
    wait_idle(),
    erlang:garbage_collect(),
    Before = erlang:memory(processes),
    Start(),
    wait_idle(),
    erlang:garbage_collect(),
    (erlang:memory(processes) - Before) / N.

restart(N, Mode) ->
    process_flag(trap_exit, true),
    Batches = max(1, N div 100),
    Us = lists:sum([restart_batch(100, Mode) || _ <- lists:seq(1, Batches)]),
    Batches * 100 * 1000000 / max(1, Us).

restart_batch(Crashes, Mode) ->
    {ok, Sup} = bench_sup:start_link(self()),
    First = receive {gs_up, P} -> P end,
    T0 = now_us(),
    crash_loop(First, Crashes, Mode),
    T1 = now_us(),
    exit(Sup, shutdown),
    receive {'EXIT', Sup, _} -> ok end,
    T1 - T0.

crash_loop(_Child, 0, _Mode) -> ok;
crash_loop(Child, I, Mode) ->
    crash(Child, Mode),
    receive {gs_up, Next} -> crash_loop(Next, I - 1, Mode) end.

crash(Child, kill) -> exit(Child, kill);
crash(Child, self_crash) -> gen_server:cast(Child, crash).
