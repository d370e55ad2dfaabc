using System.Globalization;

namespace CertLibrary.Bench;

/// <summary>
/// CPU used while a load runs, in cores: by the server under load (utime + stime of <c>/proc/&lt;pid&gt;/stat</c>), by this
/// process (the load generator), by every PostgreSQL and Redis server process, and by the whole machine (busy time of
/// <c>/proc/stat</c>). Tells whether a figure was limited by the server's CPU, by the other processes sharing the cores
/// or by waiting (commits, round trips). Linux only; elsewhere the text says so.
/// </summary>
internal sealed class CpuUse
{
    private const double TicksPerSecond = 100; // USER_HZ, 100 on every Linux architecture .NET runs on
    private const string Server = "\0server";
    private const string Generator = "\0generator";
    private static readonly string[] ServerCommands = ["postgres", "redis-server"];
    private readonly int _processId;
    private readonly Dictionary<int, (string Command, long Ticks)> _startTicks;
    private readonly (long Busy, long Total) _machine;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();

    private CpuUse(int processId)
    {
        _processId = processId;
        _startTicks = Snapshot(processId);
        _machine = MachineTicks() ?? (-1, -1);
    }

    /// <summary>Runs <paramref name="load"/> and says where the cores went meanwhile (see <see cref="Describe"/>).</summary>
    public static async Task<(T Result, string Cpu)> MeasureAsync<T>(int processId, string name, Func<Task<T>> load)
    {
        var cpu = new CpuUse(processId);
        var result = await load();
        return (result, cpu.Describe(name));
    }

    /// <summary>"API 0.94 cores, load generator 0.60, postgres 0.25, redis-server 0.05; machine 1.89 of 2 cores busy" since this was made.</summary>
    private string Describe(string name)
    {
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var end = Snapshot(_processId);
        var machine = MachineTicks();
        if (!_startTicks.ContainsKey(_processId) || !end.ContainsKey(_processId) || machine is null || _machine.Total < 0 || seconds <= 0)
        {
            return "CPU use not measured (no /proc)";
        }

        // A server process that started during the load counts from zero; one that ended is left out (connection pools keep them).
        double Cores(string command) => end.Where(e => e.Value.Command == command)
            .Sum(e => e.Value.Ticks - (_startTicks.TryGetValue(e.Key, out var s) && s.Command == command ? s.Ticks : 0)) / TicksPerSecond / seconds;
        var busy = (double)(machine.Value.Busy - _machine.Busy) / Math.Max(1, machine.Value.Total - _machine.Total) * Environment.ProcessorCount;
        var servers = string.Concat(ServerCommands.Select(c => (Command: c, Cores: Cores(c))).Where(s => s.Cores >= 0.005)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $", {s.Command} {s.Cores:0.00}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"{name} {Cores(Server):0.00} cores, load generator {Cores(Generator):0.00}{servers}; machine {busy:0.00} of {Environment.ProcessorCount} cores busy");
    }

    /// <summary>Ticks of the server under load, of this process and of every PostgreSQL and Redis process, by pid.</summary>
    private static Dictionary<int, (string Command, long Ticks)> Snapshot(int serverId)
    {
        var ticks = new Dictionary<int, (string, long)>();
        var self = Environment.ProcessId;
        IEnumerable<string> directories;
        try
        {
            directories = Directory.EnumerateDirectories("/proc").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ticks;
        }

        foreach (var directory in directories)
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || ProcessTicks(pid) is not { } read)
            {
                continue;
            }

            var command = pid == serverId ? Server : pid == self ? Generator : read.Command;
            if (command == Server || command == Generator || ServerCommands.Contains(command))
            {
                ticks[pid] = (command, read.Ticks);
            }
        }

        return ticks;
    }

    private static (string Command, long Ticks)? ProcessTicks(int processId)
    {
        try
        {
            // "pid (comm) state ...": after the parenthesised command name, state is field 3, utime 14, stime 15.
            var stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            return (stat[(open + 1)..close], long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static (long Busy, long Total)? MachineTicks()
    {
        try
        {
            // "cpu  user nice system idle iowait irq softirq steal guest guest_nice": idle and iowait are not busy.
            var values = File.ReadLines("/proc/stat").First()["cpu".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Take(8).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var total = values.Sum();
            return (total - values[3] - values[4], total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
