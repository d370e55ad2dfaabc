using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CertLibrary.Testing;

/// <summary>A private redis-server process on a free loopback port, which a test can stop and start again.</summary>
public sealed class RedisServer : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-redis-").FullName;
    private Process? _process;

    public RedisServer()
    {
        Port = TestEnvironment.FreeLoopbackPort();
        Start();
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public void Start()
    {
        _process = Process.Start(new ProcessStartInfo(TestEnvironment.RedisServer)
        {
            // No automatic snapshots: a restart comes back empty, unless the test took one with SAVE (then it comes back from it).
            ArgumentList = { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory },
            RedirectStandardOutput = true,
        })!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        throw new InvalidOperationException("redis-server did not start.");
    }

    /// <summary>Runs one command through <c>redis-cli</c> (installed with redis-server) and fails unless it succeeds.</summary>
    public void Command(params string[] arguments)
    {
        var cli = Path.Combine(Path.GetDirectoryName(TestEnvironment.RedisServer) ?? "", "redis-cli");
        var start = new ProcessStartInfo(File.Exists(cli) ? cli : "redis-cli") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !output.StartsWith("OK", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} answered {output.Trim()} (exit {process.ExitCode}).");
        }
    }

    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        Directory.Delete(_directory, recursive: true);
    }
}
