using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CertLibrary.Testing;

namespace CertLibrary.Api.Tests;

/// <summary>
/// A private PostgreSQL cluster in a temporary folder on a free loopback port, which a test stops and starts again.
/// Uses the server binaries of <c>CERTLIB_TEST_PG_BIN</c> (exported by scripts/test.sh); as root, runs them as user
/// postgres like scripts/servers.sh does.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "certlib-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly bool _root = Environment.UserName == "root";

    public PostgresServer()
    {
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
        }

        Directory.CreateDirectory(Path.Combine(_directory, "data"));
        Directory.CreateDirectory(Path.Combine(_directory, "socket"));
        if (_root)
        {
            Run("chown", "-R", "postgres", _directory);
        }

        User = _root ? "postgres" : Environment.UserName;
        RunPg("initdb", "-D", DataDirectory, "-U", User, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8");
        Start();
    }

    public int Port { get; }

    public string User { get; }

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>Connection string of the cluster's <c>postgres</c> database; the API adds its own timeouts.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={User};Database=postgres;Maximum Pool Size=30";

    public void Start() => RunPg("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "30",
        "-o", $"-p {Port} -k {Path.Combine(_directory, "socket")} -c listen_addresses=127.0.0.1 -c fsync=off", "start");

    /// <summary>Stops the server the way an operator's restart does: sessions are cut, nothing in flight commits.</summary>
    public void Stop() => RunPg("pg_ctl", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30", "stop");

    public void Dispose()
    {
        try
        {
            RunPg("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private void RunPg(string tool, params string[] arguments)
    {
        var path = Path.Combine(TestEnvironment.PgBin, tool);
        if (_root)
        {
            Run("runuser", ["-u", "postgres", "--", path, .. arguments]);
        }
        else
        {
            Run(path, arguments);
        }
    }

    private static void Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(file)} did not finish within 60 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed ({process.ExitCode}): {output.Result} {error.Result}");
        }
    }
}
