%% one_for_one supervisor with a single permanent bench_gs child whose init
%% notifies Notify. Intensity is high enough that 100 crashes never give up.
-module(bench_sup).
-behaviour(supervisor).
-export([start_link/1, init/1]).

start_link(Notify) ->
    supervisor:start_link(?MODULE, Notify).

init(Notify) ->
    Flags = #{strategy => one_for_one, intensity => 1000000, period => 1},
    Child = #{id => gs, start => {bench_gs, start_link, [Notify]},
              restart => permanent, shutdown => brutal_kill},
    {ok, {Flags, [Child]}}.
