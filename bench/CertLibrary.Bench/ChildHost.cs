using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CertLibrary.Bench;

/// <summary>
/// A web host started as a child process (<c>dotnet some.dll</c>) on a free 127.0.0.1 port, in the Production
/// environment, with its standard output kept for reading (the demo seeder prints credentials there).
/// </summary>
internal sealed class ChildHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ChildHost(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    public IEnumerable<string> Output => _output;

    public static async Task<ChildHost> StartAsync(string dll, Func<Uri, IReadOnlyDictionary<string, string>> environment, string readyPath, IEnumerable<string> arguments, TimeSpan timeout)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build it first (scripts/bench.sh does).", dll);
        }

        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_URLS"] = address.ToString().TrimEnd('/');
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Per-request hosting logs at Information would measure the console, not the service; every template's
        // appsettings.json sets this, and both sides of every ratio get the same setting.
        start.Environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        foreach (var (key, value) in environment(address))
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dll}.");
        var host = new ChildHost(process, address);
        process.OutputDataReceived += (_, e) => host.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => host.Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Path.GetFileName(dll)} exited with {process.ExitCode}:{Environment.NewLine}{string.Join(Environment.NewLine, host.Output.TakeLast(30))}");
            }

            try
            {
                using var response = await http.GetAsync(readyPath);
                if (response.IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(50);
        }

        await host.DisposeAsync();
        throw new TimeoutException($"{Path.GetFileName(dll)} did not answer {readyPath} within {timeout.TotalSeconds} s.");
    }

    /// <summary>Waits until a line of the output satisfies <paramref name="predicate"/> (e.g. the seeder's last line).</summary>
    public async Task<string> WaitForOutputAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_output.FirstOrDefault(predicate) is { } line)
            {
                return line;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("Expected output did not appear: " + string.Join(Environment.NewLine, _output.TakeLast(20)));
    }

    /// <summary>Resident set size of the host (VmRSS of /proc/&lt;pid&gt;/status), in MiB.</summary>
    public double? ResidentMegabytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line["VmRSS:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }

        _process.Dispose();
    }

    private void Collect(string? line)
    {
        if (line is not null && _output.Count < 10_000)
        {
            _output.Enqueue(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
