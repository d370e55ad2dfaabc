using System.Diagnostics;

namespace CertLibrary.Bench;

/// <summary>Result of one bounded load: completed requests, failures, wall time and latency percentiles.</summary>
internal sealed record LoadResult(long Succeeded, long Failed, double Seconds, double P50Milliseconds, double P99Milliseconds, string? FirstFailure)
{
    public double PerSecond => Succeeded / Seconds;

    public override string ToString() =>
        $"{PerSecond:#,0.0}/s ({Succeeded:#,0} ok, {Failed:#,0} failed in {Seconds:0.0} s; p50 {P50Milliseconds:0.00} ms, p99 {P99Milliseconds:0.00} ms){(FirstFailure is null ? "" : "; first failure: " + FirstFailure)}";
}

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers each send a request, await the answer and send the
/// next, for a fixed time after a warm-up. Same code for the ceiling and for the API, so their ratio is fair.
/// </summary>
internal static class LoadGenerator
{
    public static HttpClient CreateClient(Uri address, int concurrency) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = concurrency,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseCookies = false,
    })
    {
        BaseAddress = address,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Warms up, then runs <paramref name="concurrency"/> closed-loop workers for <paramref name="duration"/>; <paramref name="send"/> returns the units one request completed (e.g. certificates of a batch), 0 for a failure.</summary>
    public static async Task<LoadResult> RunAsync(Func<CancellationToken, Task<(int Units, string? Failure)>> send, int concurrency, TimeSpan warmUp, TimeSpan duration)
    {
        await RunPhaseAsync(send, concurrency, warmUp);
        return await RunPhaseAsync(send, concurrency, duration);
    }

    private static async Task<LoadResult> RunPhaseAsync(Func<CancellationToken, Task<(int Units, string? Failure)>> send, int concurrency, TimeSpan duration)
    {
        var watch = Stopwatch.StartNew();
        string? firstFailure = null;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(4096);
            long ok = 0, failed = 0;
            while (watch.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                int units;
                string? failure;
                try
                {
                    (units, failure) = await send(CancellationToken.None);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    (units, failure) = (0, e.GetType().Name + ": " + e.Message);
                }

                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (units > 0)
                {
                    ok += units;
                }
                else
                {
                    failed++;
                    Interlocked.CompareExchange(ref firstFailure, failure ?? "failed", null);
                }
            }

            return (ok, failed, latencies);
        })).ToArray();
        var results = await Task.WhenAll(workers);
        var seconds = watch.Elapsed.TotalSeconds;
        var all = results.SelectMany(r => r.latencies).Order().ToArray();
        return new LoadResult(results.Sum(r => r.ok), results.Sum(r => r.failed), seconds, Percentile(all, 0.50), Percentile(all, 0.99), firstFailure);
    }

    internal static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}

/// <summary>Latencies of requests sent one at a time by the caller (e.g. alternating between two servers).</summary>
internal sealed class LatencySeries
{
    private readonly List<double> _latencies = [];
    private readonly Stopwatch _busy = new();
    private long _ok;
    private long _failed;
    private string? _firstFailure;

    public async Task MeasureAsync(Func<CancellationToken, Task<(int Units, string? Failure)>> send)
    {
        var started = Stopwatch.GetTimestamp();
        _busy.Start();
        (int Units, string? Failure) result;
        try
        {
            result = await send(CancellationToken.None);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            result = (0, e.GetType().Name + ": " + e.Message);
        }

        _busy.Stop();
        _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (result.Units > 0)
        {
            _ok += result.Units;
        }
        else
        {
            _failed++;
            _firstFailure ??= result.Failure ?? "failed";
        }
    }

    /// <summary>The series as a load result; its rate is per second of time spent in this series' own requests.</summary>
    public LoadResult ToResult()
    {
        var sorted = _latencies.Order().ToArray();
        return new LoadResult(_ok, _failed, _busy.Elapsed.TotalSeconds, LoadGenerator.Percentile(sorted, 0.50), LoadGenerator.Percentile(sorted, 0.99), _firstFailure);
    }
}
