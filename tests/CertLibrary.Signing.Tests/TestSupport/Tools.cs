using System.Diagnostics;
using System.Formats.Asn1;
using System.Text;

namespace CertLibrary.Signing.Tests.TestSupport;

/// <summary>Runs the independent implementations (openssl CLI, node scripts) the interop tests compare against.</summary>
public static class Tools
{
    private static readonly Lazy<string> InteropFolder = new(FindInteropFolder);

    public static string Interop => InteropFolder.Value;

    public static (int ExitCode, string StdOut, string StdErr) Run(string fileName, IEnumerable<string> arguments, string? stdin = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{fileName}' is required by the interop tests but could not be started: {e.Message}", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
            }

            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{fileName} did not finish within 60 s.");
            }

            return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }

    public static string OpenSsl(params string[] arguments)
    {
        var (exit, stdout, stderr) = Run("openssl", arguments);
        Assert.True(exit == 0, $"openssl {string.Join(' ', arguments)} failed ({exit}): {stderr}");
        return stdout;
    }

    /// <summary>Runs a script of tests/interop with node, JSON in and out.</summary>
    public static string Node(string script, string stdinJson)
    {
        Assert.True(Directory.Exists(Path.Combine(Interop, "node_modules")), $"Run 'npm ci' in {Interop} first (node_modules missing).");
        var (exit, stdout, stderr) = Run("node", [Path.Combine(Interop, script)], stdinJson, Interop);
        Assert.True(exit == 0, $"node {script} failed ({exit}): {stderr}");
        return stdout.Trim();
    }

    public static string ToPem(string label, byte[] der)
    {
        var builder = new StringBuilder();
        builder.Append("-----BEGIN ").Append(label).Append("-----\n");
        var base64 = Convert.ToBase64String(der);
        for (var i = 0; i < base64.Length; i += 64)
        {
            builder.Append(base64.AsSpan(i, Math.Min(64, base64.Length - i))).Append('\n');
        }

        return builder.Append("-----END ").Append(label).Append("-----\n").ToString();
    }

    /// <summary>r‖s (64 bytes) to the DER SEQUENCE { INTEGER r, INTEGER s } openssl expects.</summary>
    public static byte[] RawToDer(byte[] signature)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(signature.AsSpan(0, 32));
            writer.WriteIntegerUnsigned(signature.AsSpan(32, 32));
        }

        return writer.Encode();
    }

    /// <summary>DER SEQUENCE { INTEGER r, INTEGER s } to r‖s (64 bytes).</summary>
    public static byte[] DerToRaw(byte[] der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        var result = new byte[64];
        Fixed(sequence.ReadIntegerBytes().Span).CopyTo(result.AsSpan(0, 32));
        Fixed(sequence.ReadIntegerBytes().Span).CopyTo(result.AsSpan(32, 32));
        return result;

        static byte[] Fixed(ReadOnlySpan<byte> integer)
        {
            var trimmed = integer.TrimStart((byte)0);
            var output = new byte[32];
            trimmed.CopyTo(output.AsSpan(32 - trimmed.Length));
            return output;
        }
    }

    private static string FindInteropFolder()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("CERTLIB_TEST_INTEROP");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CertLibrary.sln")))
            {
                return Path.Combine(directory.FullName, "tests", "interop");
            }
        }

        throw new InvalidOperationException("tests/interop not found: set CERTLIB_TEST_INTEROP or run from the repository.");
    }
}
