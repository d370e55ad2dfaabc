using System.Globalization;

namespace CertLibrary.Bench;

/// <summary>
/// CPU used while a load runs, in cores: by one child process (utime + stime of <c>/proc/&lt;pid&gt;/stat</c>) and by the
/// whole machine (busy time of <c>/proc/stat</c>). Tells whether a figure was limited by the server's CPU or by waiting
/// (commits, round trips). Linux only; elsewhere the text says so.
/// </summary>
internal sealed class CpuUse
{
    private const double TicksPerSecond = 100; // USER_HZ, 100 on every Linux architecture .NET runs on
    private readonly int _processId;
    private readonly long _processTicks;
    private readonly (long Busy, long Total) _machine;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();

    private CpuUse(int processId)
    {
        _processId = processId;
        _processTicks = ProcessTicks(processId) ?? -1;
        _machine = MachineTicks() ?? (-1, -1);
    }

    public static CpuUse Start(int processId) => new(processId);

    /// <summary>"API 1.41 cores, machine 1.97 of 2 cores busy" since <see cref="Start"/>.</summary>
    public string Describe(string name)
    {
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var process = ProcessTicks(_processId);
        var machine = MachineTicks();
        if (process is null || machine is null || _processTicks < 0 || _machine.Total < 0 || seconds <= 0)
        {
            return "CPU use not measured (no /proc)";
        }

        var cores = (process.Value - _processTicks) / TicksPerSecond / seconds;
        var busy = (double)(machine.Value.Busy - _machine.Busy) / Math.Max(1, machine.Value.Total - _machine.Total) * Environment.ProcessorCount;
        return string.Create(CultureInfo.InvariantCulture, $"{name} {cores:0.00} cores, machine {busy:0.00} of {Environment.ProcessorCount} cores busy");
    }

    private static long? ProcessTicks(int processId)
    {
        try
        {
            // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
            var stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
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
