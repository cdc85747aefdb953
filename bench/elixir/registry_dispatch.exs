# Elixir side of registry_dispatch (run by bench/lib/erlang.js on `+S 1`):
# SUBSCRIBERS processes register under one key of a duplicate Registry (one
# partition, the default); the script's process makes N Registry.dispatch calls,
# each sending {:msg, I} to every subscriber; timed from the first dispatch until
# every subscriber has counted N. Prints "RESULT <dispatches/s>".
defmodule BenchRegistryDispatch do
  @subscribers 1000

  def main([n_text | _]) do
    n = String.to_integer(n_text)
    {:ok, _} = Registry.start_link(keys: :duplicate, name: BenchPubSub)
    parent = self()
    for _ <- 1..@subscribers, do: spawn(fn -> subscribe(parent, n) end)
    for _ <- 1..@subscribers, do: receive(do: (:subscribed -> :ok))
    t0 = System.monotonic_time(:microsecond)
    publish(n, 0)
    for _ <- 1..@subscribers, do: receive(do: (:done -> :ok))
    us = System.monotonic_time(:microsecond) - t0
    IO.puts("RESULT #{n / us * 1_000_000}")
  end

  defp subscribe(parent, n) do
    {:ok, _} = Registry.register(BenchPubSub, :topic, nil)
    send(parent, :subscribed)
    count(parent, n, 0)
  end

  defp count(parent, n, n), do: send(parent, :done)
  defp count(parent, n, c), do: receive(do: ({:msg, _} -> count(parent, n, c + 1)))

  defp publish(n, n), do: :ok

  defp publish(n, i) do
    Registry.dispatch(BenchPubSub, :topic, fn entries ->
      for {pid, _} <- entries, do: send(pid, {:msg, i})
    end)

    publish(n, i + 1)
  end
end

BenchRegistryDispatch.main(System.argv())
