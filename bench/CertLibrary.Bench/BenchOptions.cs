namespace CertLibrary.Bench;

/// <summary>Command line of the driver. Every duration is bounded; <c>--smoke</c> shrinks them so the whole run proves every figure still runs in about a minute.</summary>
internal sealed record BenchOptions
{
    public bool Smoke { get; init; }

    public required string RepositoryRoot { get; init; }

    public required string Configuration { get; init; }

    public string? Postgres { get; init; }

    public string? Redis { get; init; }

    public string Output { get; init; } = Path.Combine("bench", "results.md");

    public int Concurrency { get; init; } = 16;

    /// <summary>Duration of each in-process crypto measurement (ours and OpenSSL's).</summary>
    public TimeSpan CryptoDuration => Smoke ? TimeSpan.FromSeconds(0.1) : TimeSpan.FromSeconds(2);

    public int OpenSslSeconds => Smoke ? 1 : 2;

    /// <summary>Duration of each HTTP load (ceiling and API alike).</summary>
    public TimeSpan LoadDuration => Smoke ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(10);

    public TimeSpan WarmUp => Smoke ? TimeSpan.Zero : TimeSpan.FromSeconds(1);

    /// <summary>
    /// Warm-up of the login figure. The login pages, antiforgery and code redemption run about 40 times a second, so the
    /// JIT is still recompiling them (tier-0 → instrumented → tier-1) well after a 1-second warm-up: a profile of the
    /// first 10 s of logins found 18% of the API's CPU in the tiered-compilation thread. Measured from 5 s on, the
    /// figure is the steady state a long-running server has, like every other figure.
    /// </summary>
    public TimeSpan LoginWarmUp => Smoke ? TimeSpan.Zero : TimeSpan.FromSeconds(5);

    /// <summary>Duration of the login load: about 40 logins a second, so 20 s for a sample of some 800 logins.</summary>
    public TimeSpan LoginDuration => Smoke ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(20);

    public int BatchSize => Smoke ? 50 : 500;

    /// <summary>Duration of the repeated-lookup latency measurement (one client in sequence).</summary>
    public TimeSpan LatencyDuration => Smoke ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(5);

    /// <summary>Certificates in the small generated store (the lookup, verify and login figures, and the latency baseline).</summary>
    public int SmallScale => Smoke ? 1_000 : 10_000;

    /// <summary>Certificates in the large generated store: 10^5 by default, 10^6 with <c>--large</c>, 4,000 in smoke mode.</summary>
    public int LargeScale => Smoke ? 4_000 : Large ? 1_000_000 : 100_000;

    public bool Large { get; init; }

    /// <summary>The groups of figures to run (<c>--only crypto,grants,batch,onenumber</c>); all of them by default.</summary>
    public IReadOnlySet<string> Groups { get; init; } = AllGroups;

    public static readonly IReadOnlySet<string> AllGroups = new HashSet<string>(["crypto", "grants", "batch", "onenumber"], StringComparer.Ordinal);

    public bool Runs(string group) => Groups.Contains(group);

    public string ApiDll => Path.Combine(RepositoryRoot, "Api", "CertLibrary.Api", "bin", Configuration, "net10.0", "CertLibrary.Api.dll");

    public string CeilingDll => Path.Combine(RepositoryRoot, "bench", "CertLibrary.Bench.Ceiling", "bin", Configuration, "net10.0", "CertLibrary.Bench.Ceiling.dll");

    public static BenchOptions Parse(string[] args)
    {
        var root = FindRoot();
        var options = new BenchOptions
        {
            RepositoryRoot = root,
            Configuration = "Release",
            Postgres = Environment.GetEnvironmentVariable("CERTLIB_BENCH_POSTGRES"),
            Redis = Environment.GetEnvironmentVariable("CERTLIB_BENCH_REDIS"),
            Output = Path.Combine(root, "bench", "results.md"),
        };
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--smoke" => options with { Smoke = true },
                "--large" => options with { Large = true },
                "--out" => options with { Output = Path.GetFullPath(args[++i]) },
                "--configuration" or "-c" => options with { Configuration = args[++i] },
                "--concurrency" => options with { Concurrency = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture) },
                "--postgres" => options with { Postgres = args[++i] },
                "--redis" => options with { Redis = args[++i] },
                "--only" => options with { Groups = ParseGroups(args[++i]) },
                _ => throw new ArgumentException($"Unknown option {args[i]}. Options: --smoke, --large, --out FILE, -c CONFIGURATION, --concurrency N, --postgres CONNECTION, --redis HOST:PORT, --only GROUP[,GROUP...]."),
            };
        }

        return options;
    }

    private static HashSet<string> ParseGroups(string list)
    {
        var groups = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var unknown = groups.Except(AllGroups).ToList();
        if (groups.Count == 0 || unknown.Count > 0)
        {
            throw new ArgumentException($"--only takes a comma-separated list of {string.Join(", ", AllGroups)}; unknown: {string.Join(", ", unknown)}.");
        }

        return groups;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CertLibrary.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
