using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace CertLibrary.Operations.Tests;

/// <summary>Runs only where the HA engines are installed (<c>pg_autoctl</c> and <c>redis-sentinel</c>; scripts/test.sh installs both).</summary>
public sealed class HaFactAttribute : FactAttribute
{
    public HaFactAttribute()
    {
        if (!HaTopology.EnginesInstalled)
        {
            Skip = "High availability: needs pg_autoctl (postgresql-15-auto-failover) and redis-sentinel; scripts/test.sh installs them.";
        }
    }
}

/// <summary>
/// The topology of <c>scripts/ha.sh</c> (pg_auto_failover monitor + primary + synchronous standby, Redis master +
/// replica + 3 Sentinels) in a private directory on private ports, driven through the script as an operator would.
/// </summary>
public sealed class HaTopology : IAsyncDisposable
{
    private readonly string _directory;
    private readonly int _firstPort;

    private HaTopology(string directory, int firstPort, IReadOnlyDictionary<string, string> environment)
    {
        _directory = directory;
        _firstPort = firstPort;
        Environment = environment;
    }

    public static bool EnginesInstalled => OnPath("pg_autoctl") && OnPath("redis-sentinel");

    /// <summary>The settings <c>ha.sh up</c> printed as <c>export CERTLIB_...=...</c> lines.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public string Postgres => Environment["CERTLIB_POSTGRES"];

    /// <summary>How long <c>ha.sh up</c> took.</summary>
    public TimeSpan UpTime { get; private init; }

    /// <summary>Two API nodes on <paramref name="settings"/>; when <paramref name="body"/> fails their output goes to the test log.</summary>
    public static async Task WithTwoNodesAsync(ApiProcess.Settings settings, ITestOutputHelper output, Func<ApiProcess, ApiProcess, Task> body)
    {
        await using var first = await ApiProcess.StartAsync(settings);
        await using var second = await ApiProcess.StartAsync(settings with { Port = ApiProcess.FreePort() });
        try
        {
            await body(first, second);
        }
        catch
        {
            output.WriteLine("node 1:\n" + first.Output + "\nnode 2:\n" + second.Output);
            throw;
        }
    }

    /// <summary><c>ha.sh up</c> with <paramref name="pgSettings"/> on both PostgreSQL nodes.</summary>
    public static async Task<HaTopology> UpAsync(string pgSettings)
    {
        var firstPort = int.Parse(System.Environment.GetEnvironmentVariable("CERTLIB_TEST_HA_PORT") ?? "57030", CultureInfo.InvariantCulture);
        var directory = Path.Combine(Path.GetTempPath(), "certlib-ha-test-" + Guid.NewGuid().ToString("N")[..8]);
        var clock = Stopwatch.StartNew();
        var (exit, output, errors) = await RunAsync(directory, firstPort, pgSettings, null, "up");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("export ", StringComparison.Ordinal) && line.IndexOf('=', StringComparison.Ordinal) is var equals and > 0)
            {
                environment[line[7..equals]] = line[(equals + 1)..].Trim('\'');
            }
        }

        var topology = new HaTopology(directory, firstPort, environment) { UpTime = clock.Elapsed };
        if (exit != 0 || !environment.ContainsKey("CERTLIB_POSTGRES"))
        {
            await topology.DisposeAsync();
            Assert.Fail($"ha.sh up exited {exit}:\n{output}\n{errors}");
        }

        return topology;
    }

    /// <summary>
    /// <c>ha.sh failover postgres|redis</c>: returns once a new primary accepts writes, with the moment the old one was
    /// killed (when the script announced the kill) and how long until the new one accepted a write.
    /// </summary>
    public async Task<(DateTimeOffset KilledAt, TimeSpan UntilWritable, string Output)> FailoverAsync(string engine)
    {
        var killedAt = DateTimeOffset.MinValue;
        var (exit, output, errors) = await RunAsync(_directory, _firstPort, null, line =>
        {
            if (line.Contains("kill -9", StringComparison.Ordinal) && killedAt == DateTimeOffset.MinValue)
            {
                killedAt = DateTimeOffset.UtcNow;
            }
        }, "failover", engine);
        var done = DateTimeOffset.UtcNow;
        Assert.True(exit == 0, $"ha.sh failover {engine} exited {exit}:\n{output}\n{errors}");
        return (killedAt, done - killedAt, errors);
    }

    /// <summary><c>ha.sh wait</c>: until PostgreSQL has a primary and a streaming secondary again and Redis a master with its replica.</summary>
    public async Task<string> WaitSettledAsync()
    {
        var (exit, output, errors) = await RunAsync(_directory, _firstPort, null, null, "wait");
        Assert.True(exit == 0, $"ha.sh wait exited {exit}:\n{output}\n{errors}");
        var (_, state, _) = await RunAsync(_directory, _firstPort, null, null, "state");
        return state;
    }

    public async ValueTask DisposeAsync() => await RunAsync(_directory, _firstPort, null, null, "down");

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(
        string directory, int firstPort, string? pgSettings, Action<string>? onError, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(ApiProcess.RepositoryRoot(), "scripts", "ha.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["CERTLIB_HA_DIR"] = directory;
        start.Environment["CERTLIB_HA_PORT"] = firstPort.ToString(CultureInfo.InvariantCulture);
        if (pgSettings is not null)
        {
            start.Environment["CERTLIB_HA_PG_SETTINGS"] = pgSettings;
        }

        using var process = new Process { StartInfo = start };
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            onError?.Invoke(e.Data);
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        lock (errors)
        {
            return (process.ExitCode, output, errors.ToString());
        }
    }

    private static bool OnPath(string tool) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, tool)));
}
