// Measures CertLibrary's hot paths next to a ceiling measured in the same run, prints one line per figure and
// writes bench/results.md. Run through scripts/bench.sh, which builds the hosts and starts PostgreSQL.
using CertLibrary.Bench;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;

var options = BenchOptions.Parse(args);
var started = DateTimeOffset.UtcNow;
var loadAtStart = Machine.LoadAverage();
var raw = new List<string>();
void Log(string line)
{
    lock (raw)
    {
        raw.Add(line);
    }

    Console.Error.WriteLine("  " + line);
}

var figures = new List<Figure>();
void Report(IEnumerable<Figure> measured)
{
    foreach (var figure in measured)
    {
        figures.Add(figure);
        Console.WriteLine(figure);
    }
}

Log($"machine: {Machine.Description}; load average {loadAtStart}; smoke: {options.Smoke}; large: {options.Large}");
if (options.Runs("crypto"))
{
    // Ours first, then OpenSSL, one at a time so that neither competes with the other for a core. The smoke mode
    // runs both OpenSSL commands at once to stay under ten seconds: its figures only prove the benchmark still runs.
    var sm2 = CryptoBench.Measure(options, new Sm2Suite());
    var sm2Managed = CryptoBench.MeasureManagedSm2(options);
    var es256 = CryptoBench.Measure(options, new Es256Suite());
    var es256SpeedTask = options.Smoke ? CryptoBench.OpenSslSpeedAsync("ecdsap256", "(nistp256)", options.OpenSslSeconds, Log) : null;
    var sm2Speed = await CryptoBench.OpenSslSpeedAsync("sm2", "SM2 (CurveSM2)", options.OpenSslSeconds, Log);
    var es256Speed = await (es256SpeedTask ?? CryptoBench.OpenSslSpeedAsync("ecdsap256", "(nistp256)", options.OpenSslSeconds, Log));
    Report(CryptoBench.Figures("SM2", sm2, sm2Speed, "≥ 1.0× OpenSSL", CryptoBench.Sm2Path));
    Report(CryptoBench.Figures("SM2 (BouncyCastle.Cryptography fallback)", sm2Managed, sm2Speed, "reference", "the path used only where libcrypto.so.3 is missing"));
    Report(CryptoBench.Figures("ES256", es256, es256Speed, "≥ 0.8× OpenSSL", CryptoBench.Es256Path));
    Report([QrVerifyBench.InProcess(options, Log)]);
}

var http = new HttpBench(options, Log);
if (options.Runs("grants"))
{
    Report(await http.GrantsAsync());
}

if (options.Runs("batch"))
{
    Report(await http.BatchIssuanceAsync());
}

if (options.Runs("onenumber"))
{
    Report(await new OneNumberBench(options, Log).RunAsync());
}

await ResultsWriter.WriteAsync(options.Output, options, figures, raw, started, loadAtStart);
Console.WriteLine($"wrote {options.Output} in {(DateTimeOffset.UtcNow - started).TotalSeconds:0.0} s");

// A figure without a value errored (failed requests, a failed check, a missing server): the run fails, so CI notices.
var errored = figures.Where(f => f.Value is null).ToList();
foreach (var figure in errored)
{
    Console.Error.WriteLine($"FAILED: {figure.Name}: {figure.Note}");
}

return errored.Count == 0 ? 0 : 1;
