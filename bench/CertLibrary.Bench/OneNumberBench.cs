using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CertLibrary.TransparencyLog;
using Microsoft.Data.Sqlite;

namespace CertLibrary.Bench;

/// <summary>
/// The one-number lookup, offline-QR verification and login figures, over HTTP against the API child process on
/// PostgreSQL + Redis (the production shape) filled by <see cref="DataGenerator"/>, plus the lookup on SQLite; and
/// lookup latency at a small and a large store in the same run.
/// </summary>
internal sealed class OneNumberBench(BenchOptions options, Action<string> log)
{
    private const string Purpose = "办理住房公积金提取（基准测试）";
    private const string MarriageType = Departments.CivilAffairs + "001";
    private const string LookupRowsSql = "SELECT COUNT(*) FROM access_log WHERE action = '" + CertStore.OneNumber.AccessActions.Lookup + "'";

    /// <summary>Runs every phase and returns the figures, each next to its ceiling measured in the same run.</summary>
    public async Task<IReadOnlyList<Figure>> RunAsync()
    {
        if (string.IsNullOrWhiteSpace(options.Postgres))
        {
            return
            [
                Figure.NotMeasured("cached one-number lookup, PostgreSQL + Redis", "constant-JSON Kestrel", "≥ 0.5× ceiling, p99 < 10 ms", "no PostgreSQL (scripts/bench.sh starts one)"),
            ];
        }

        var small = new DataShape(options.SmallScale);
        var large = new DataShape(options.LargeScale);

        // Two stores of the same holder shape, each served by its own API child (both on the same PostgreSQL and Redis).
        var smallSet = await PostgresDataset.CreateAsync(options, "certlib_bench_small", 1);
        var smallData = await GenerateAsync(smallSet, small);
        var largeSet = await PostgresDataset.CreateAsync(options, "certlib_bench_large", 2);
        var largeData = await GenerateAsync(largeSet, large);

        SmallResults smallResults;
        (Latency Small, Latency Large) latency;
        await using (var smallApi = await smallSet.StartApiAsync())
        {
            using var smallHttp = LoadGenerator.CreateClient(smallApi.Address, options.Concurrency);
            var smallToken = await HttpBench.TokenAsync(smallHttp, smallSet.Department.ClientId, smallSet.Department.Secret);
            await CheckGeneratedAsync(smallHttp, smallToken, smallData);
            await using (var largeApi = await largeSet.StartApiAsync())
            {
                using var largeHttp = LoadGenerator.CreateClient(largeApi.Address, options.Concurrency);
                var largeToken = await HttpBench.TokenAsync(largeHttp, largeSet.Department.ClientId, largeSet.Department.Secret);
                await CheckGeneratedAsync(largeHttp, largeToken, largeData);

                // Latency first, before any other lookup warms a cache; both stores in alternation, so that whatever
                // else runs on the machine weighs on both sides alike.
                latency = await LatencyAsync(
                    new LatencyTarget(smallHttp, smallToken, smallData.ProbeHolders), new LatencyTarget(largeHttp, largeToken, largeData.ProbeHolders));
            }

            smallResults = await MeasureSmallAsync(smallApi, smallHttp, smallToken, smallSet, smallData);
        }

        var (sqlite, sqliteVerify, sqliteOrganization) = await SqliteAsync();

        // The ceiling again after every API load; the higher of its two measurements counts (the conservative side).
        var after = await CeilingAsync(smallResults.Token, smallData.ProbeHolders[0], smallResults.QrTexts[0], smallResults.LookupAnswer, "after the API loads");
        var lookupCeiling = Higher(smallResults.Ceiling.Lookup, after.Lookup);
        var verifyCeiling = Higher(smallResults.Ceiling.Verify, after.Verify);
        var sameAnswerCeiling = Higher(smallResults.Ceiling.SameAnswer, after.SameAnswer);
        var lookup = smallResults.Lookup;
        return
        [
            new Figure("cached one-number lookup, PostgreSQL + Redis (holder with 20 certificates, JWT, access-log write)", Value(lookup.Load), "req/s", lookupCeiling.PerSecond,
                "constant-JSON Kestrel, same requests, higher of two runs (before and after the API loads)", "≥ 0.5× ceiling, p99 < 10 ms",
                $"{options.Concurrency} concurrent; p50 {lookup.Load.P50Milliseconds:0.0} ms, p99 {lookup.Load.P99Milliseconds:0.0} ms (ceiling p99 {lookupCeiling.P99Milliseconds:0.0} ms); " +
                $"every answer held 20 certificates; access log {lookup.AccessLogRows:#,0} rows for {lookup.Lookups:#,0} lookups{HttpBench.Failures(lookup.Load)}"),
            // Without a clean ceiling there is no figure: a failed ceiling request leaves it unmeasured (and fails the run).
            new Figure("cached one-number lookup, PostgreSQL + Redis, against its own answer served as a constant", Value(sameAnswerCeiling) is null ? null : Value(lookup.Load), "req/s", sameAnswerCeiling.PerSecond,
                "Kestrel answering the same request with a real lookup answer's bytes, client reading it as it reads the API's, higher of two runs", "— (what the answer's size alone allows)",
                string.Create(CultureInfo.InvariantCulture, $"answer {smallResults.LookupAnswer.Length:#,0} bytes; ceiling p50 {sameAnswerCeiling.P50Milliseconds:0.0} ms, p99 {sameAnswerCeiling.P99Milliseconds:0.0} ms; the small constant-JSON ceiling over this one: {lookupCeiling.PerSecond / sameAnswerCeiling.PerSecond:0.0}×{HttpBench.Failures(sameAnswerCeiling)}")),
            new Figure("cached one-number lookup, SQLite (same shape, certificates issued through the API)", Value(sqlite.Load), "req/s", lookupCeiling.PerSecond,
                "constant-JSON Kestrel, same requests, higher of two runs (before and after the API loads)", "≥ 0.5× ceiling, p99 < 10 ms",
                $"{options.Concurrency} concurrent; p50 {sqlite.Load.P50Milliseconds:0.0} ms, p99 {sqlite.Load.P99Milliseconds:0.0} ms; access log {sqlite.AccessLogRows:#,0} rows for {sqlite.Lookups:#,0} lookups{HttpBench.Failures(sqlite.Load)}"),
            new Figure("cached one-number lookup by credit code (organisation, 法人一码), SQLite, same run", Value(sqliteOrganization.Load), "req/s", Value(sqlite.Load),
                "the citizen lookup on SQLite just before it, same process and shape", "— (beside the citizen lookup)",
                $"{options.Concurrency} concurrent; 20 营业执照 per answer; p50 {sqliteOrganization.Load.P50Milliseconds:0.0} ms, p99 {sqliteOrganization.Load.P99Milliseconds:0.0} ms; " +
                $"access log counted with the citizen lookups{HttpBench.Failures(sqliteOrganization.Load)}"),
            new Figure("API resident memory under the lookup load (PostgreSQL + Redis)", lookup.PeakRss, "MiB", null, "—", "≤ 300 MB",
                $"peak VmRSS sampled every 100 ms during the load; {sqlite.PeakRss:0} MiB on SQLite"),
            new Figure("offline QR verification, POST /api/v1/verify (format 2, SM2 + ES256), against its signatures' raw cost", Value(smallResults.Verify), "req/s", smallResults.RawPairs,
                $"one SM2 + one ES256 signature verification on {Environment.ProcessorCount} threads in the bench process, same run, right after the load (API idle)", "≥ 0.7×",
                $"same load as the next line; the HTTP stack, JSON, live status (Redis) and the load generator share the {Environment.ProcessorCount} cores with the signatures"),
            new Figure("offline QR verification, POST /api/v1/verify (format 2, SM2 + ES256)", Value(smallResults.Verify), "req/s", verifyCeiling.PerSecond, "constant-JSON Kestrel, same requests, higher of two runs (before and after the API loads)", "≥ 0.3× ceiling",
                $"{options.Concurrency} concurrent, {smallResults.QrTexts.Count} QR texts from GET /qr (text/plain) in turn, every answer 'valid'; p50 {smallResults.Verify.P50Milliseconds:0.0} ms, p99 {smallResults.Verify.P99Milliseconds:0.0} ms{HttpBench.Failures(smallResults.Verify)}"),
            new Figure("offline QR verification, POST /api/v1/verify (format 2, SM2 + ES256), SQLite, one node", Value(sqliteVerify), "req/s", verifyCeiling.PerSecond, "constant-JSON Kestrel, same requests, higher of two runs (before and after the API loads)", "≥ 0.3× ceiling",
                $"the embedded default: live status from the in-process cache, no Redis round trip; {options.Concurrency} concurrent, every answer 'valid'; p50 {sqliteVerify.P50Milliseconds:0.0} ms, p99 {sqliteVerify.P99Milliseconds:0.0} ms{HttpBench.Failures(sqliteVerify)}"),
            LatencyFigure("lookup p50, first lookup of a holder (uncached)", large, small, latency.Large.Cold, latency.Small.Cold, largeData, smallData),
            LatencyFigure("lookup p50, repeated lookups (cached)", large, small, latency.Large.Warm, latency.Small.Warm, largeData, smallData),
            new Figure("citizen logins (authorize → login form → code → token), PostgreSQL", Value(smallResults.Logins), "logins/s", smallResults.HashRate,
                $"PasswordHasher<T>.VerifyHashedPassword on {Environment.ProcessorCount} threads, same run", "overhead beyond the hash < 10% (ratio ≥ 0.9×)",
                $"{options.Concurrency} concurrent; 3 requests per login; p50 {smallResults.Logins.P50Milliseconds:0} ms{HttpBench.Failures(smallResults.Logins)}"),
        ];
    }

    private static double? Value(LoadResult result) => result.Succeeded > 0 && result.Failed == 0 ? result.PerSecond : null;

    private Figure LatencyFigure(string name, DataShape large, DataShape small, LoadResult atLarge, LoadResult atSmall, GeneratedData largeData, GeneratedData smallData) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{name} at {Scale(large.Certificates)} certificates vs {Scale(small.Certificates)}"),
            atLarge.Failed == 0 && atLarge.Succeeded > 0 ? atLarge.P50Milliseconds : null, "ms",
            atSmall.Failed == 0 && atSmall.Succeeded > 0 ? atSmall.P50Milliseconds : null, $"p50 at {Scale(small.Certificates)}, same run",
            "≤ 1.2× (p50 within 1.2×)",
            string.Create(CultureInfo.InvariantCulture,
                $"1 client in sequence alternating between the two stores' APIs, holders with 20 certificates; {atLarge.Succeeded:#,0} + {atSmall.Succeeded:#,0} lookups; p99 {atLarge.P99Milliseconds:0.0} ms vs {atSmall.P99Milliseconds:0.0} ms; " +
                $"stores of {large} (generated in {largeData.Seconds:0} s) and {small} (in {smallData.Seconds:0} s)"));

    private static string Scale(int n) => Math.Log10(n) is var e && Math.Abs(e - Math.Round(e)) < 1e-9 ? string.Create(CultureInfo.InvariantCulture, $"10^{Math.Round(e)}") : n.ToString("#,0", CultureInfo.InvariantCulture);

    private async Task<GeneratedData> GenerateAsync(PostgresDataset set, DataShape shape)
    {
        var data = await DataGenerator.GenerateAsync(set.ConnectionString, set.MasterKey, shape, log);
        log(string.Create(CultureInfo.InvariantCulture, $"generated {shape} in {data.Seconds:0.0} s ({shape.Certificates / data.Seconds:#,0}/s, SM2 + ES256 signatures, binary COPY)"));
        return data;
    }

    /// <summary>
    /// The ceilings: the same requests (same headers, same bodies) against constant-JSON Kestrel; and the lookup request
    /// against Kestrel answering a real lookup answer's bytes as a constant, read by the client exactly as it reads the
    /// API's (every answer must hold 20 certificates).
    /// </summary>
    private async Task<Ceilings> CeilingAsync(string token, string holder, string qrText, byte[] lookupAnswer, string when)
    {
        (LoadResult Result, string Cpu) lookup, verify, sameAnswer;
        await using (var ceiling = await ChildHost.StartAsync(options.CeilingDll, _ => new Dictionary<string, string>(), "/", [], TimeSpan.FromSeconds(30)))
        {
            using var http = LoadGenerator.CreateClient(ceiling.Address, options.Concurrency);
            lookup = await LoadAsync(ceiling, "ceiling", ct => SendOkAsync(http, LookupRequest(token, holder), ct));
            verify = await LoadAsync(ceiling, "ceiling", ct => SendOkAsync(http, VerifyRequest(qrText), ct));
        }

        var answerFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(answerFile, lookupAnswer);
            await using var ceiling = await ChildHost.StartAsync(options.CeilingDll, _ => new Dictionary<string, string> { ["CERTLIB_CEILING_LOOKUP_ANSWER"] = answerFile }, "/", [], TimeSpan.FromSeconds(30));
            using var http = LoadGenerator.CreateClient(ceiling.Address, options.Concurrency);
            sameAnswer = await LoadAsync(ceiling, "ceiling", ct => LookupOnceAsync(http, token, holder, ct));
        }
        finally
        {
            File.Delete(answerFile);
        }

        log($"ceiling {when}, lookup request: {lookup.Result}; {lookup.Cpu}");
        log($"ceiling {when}, verify request: {verify.Result}; {verify.Cpu}");
        log($"ceiling {when}, lookup request answered with a real lookup answer ({lookupAnswer.Length:#,0} bytes) as a constant: {sameAnswer.Result}; {sameAnswer.Cpu}");
        return new Ceilings(lookup.Result, verify.Result, sameAnswer.Result);
    }

    /// <summary>One lookup answer's bytes, as the API sends them, checked to hold the probe holder's 20 certificates (the lookup is written to the access log like any other).</summary>
    private static async Task<byte[]> LookupAnswerAsync(HttpClient http, string token, string holder)
    {
        using var request = LookupRequest(token, holder);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var count = response.IsSuccessStatusCode ? CountCertificates(body) : -1;
        return count == DataShape.ProbeCertificates
            ? body
            : throw new InvalidOperationException($"Lookup answered {(int)response.StatusCode} with {count} certificates: {HttpBench.Shorten(Encoding.UTF8.GetString(body))}");
    }

    /// <summary>The bench's load (its concurrency, warm-up and duration) against <paramref name="server"/>, with the CPU each process used meanwhile.</summary>
    private Task<(LoadResult Result, string Cpu)> LoadAsync(ChildHost server, string name, Func<CancellationToken, Task<(int Units, string? Failure)>> send) =>
        CpuUse.MeasureAsync(server.ProcessId, name, () => LoadGenerator.RunAsync(send, options.Concurrency, options.WarmUp, options.LoadDuration));

    private static LoadResult Higher(LoadResult a, LoadResult b) => a.PerSecond >= b.PerSecond ? a : b;

    private async Task<SmallResults> MeasureSmallAsync(ChildHost api, HttpClient http, string token, PostgresDataset set, GeneratedData data)
    {
        // QR texts first: fetching them makes one lookup, which must not count among the load's access-log rows.
        var qrTexts = await QrTextsAsync(http, token, data.ProbeHolders[0]);
        var answer = await LookupAnswerAsync(http, token, data.ProbeHolders[0]);
        var ceiling = await CeilingAsync(token, data.ProbeHolders[0], qrTexts[0], answer, "before the API loads");
        var lookupsBefore = await set.CountAsync(LookupRowsSql);
        var lookup = await LookupLoadAsync(api, http, token, data.ProbeHolders[0]);
        var rows = await set.CountAsync(LookupRowsSql) - lookupsBefore;
        log($"cached lookup (PostgreSQL + Redis): {lookup.Load}; access log +{rows:#,0} rows for {lookup.Lookups:#,0} lookups; peak RSS {lookup.PeakRss:0} MiB; {lookup.CpuUse}");
        if (rows != lookup.Lookups)
        {
            throw new InvalidOperationException($"The access log gained {rows} lookup rows for {lookup.Lookups} answered lookups.");
        }

        var (verify, verifyCpu) = await LoadAsync(api, "API", ct => VerifyOnceAsync(http, qrTexts, ct));
        log($"offline QR verification (format 2, SM2 + ES256): {verify}; {verifyCpu}");

        // Right after the load, the API idle: what the verifications' signatures alone cost on every core of the machine.
        var rawPairs = QrVerifyBench.RawPairRate(options, Environment.ProcessorCount);
        log(string.Create(CultureInfo.InvariantCulture, $"raw SM2 + ES256 signature verification on {Environment.ProcessorCount} threads: {rawPairs:#,0.0}/s"));

        var hashRate = PasswordHashRate();
        var (logins, loginCpu) = await CpuUse.MeasureAsync(api.ProcessId, "API", () => LoginFlow.RunAsync(api.Address, set, options));
        log(string.Create(CultureInfo.InvariantCulture, $"logins: {logins}; {loginCpu}; PasswordHasher verify on {Environment.ProcessorCount} threads: {hashRate:#,0.0}/s"));
        return new SmallResults(token, lookup with { AccessLogRows = rows }, qrTexts, answer, verify, rawPairs, logins, hashRate, ceiling);
    }

    /// <summary>
    /// Proves that generated rows are what the store writes: a probe holder's lookup answers 20 certificates, one of
    /// them verifies (both signatures, live status) through <c>POST /api/v1/verify</c>, and its issuance entry is in the
    /// transparency log with an inclusion proof that leads to the signed tree head of the generated size.
    /// </summary>
    private async Task CheckGeneratedAsync(HttpClient http, string token, GeneratedData data)
    {
        var certificates = await LookupAsync(http, token, data.ProbeHolders[^1]);
        var certificate = certificates[^1]!.AsObject();
        var id = certificate["id"]!.GetValue<string>();
        using (var verify = await http.PostAsJsonAsync("/api/v1/verify", new { jws = certificate["signature"] }))
        {
            var answer = await verify.Content.ReadFromJsonAsync<JsonObject>();
            if (answer?["result"]?.GetValue<string>() != "valid")
            {
                throw new InvalidOperationException($"A generated certificate does not verify: {answer?.ToJsonString()}");
            }
        }

        var head = (await http.GetFromJsonAsync<JsonObject>("/api/v1/log/tree-head"))!;
        var size = head["treeSize"]!.GetValue<long>();
        var logIndex = certificate["logIndex"]!.GetValue<long>();
        var entries = (await http.GetFromJsonAsync<JsonObject>(string.Create(CultureInfo.InvariantCulture, $"/api/v1/log/entries?start={logIndex}&end={logIndex + 1}")))!;
        var entry = entries["entries"]![0]!;
        var proof = (await http.GetFromJsonAsync<JsonObject>(string.Create(CultureInfo.InvariantCulture, $"/api/v1/log/proof/inclusion?index={logIndex}&treeSize={size}")))!;
        var included = MerkleVerifier.VerifyInclusion(
            MerkleHash.Leaf(Convert.FromBase64String(entry["leafInput"]!.GetValue<string>())), logIndex, size,
            [.. proof["auditPath"]!.AsArray().Select(p => Convert.FromBase64String(p!.GetValue<string>()))],
            Convert.FromBase64String(head["rootHash"]!.GetValue<string>()));
        if (size != data.LogSize || entry["entry"]?["certificateId"]?.GetValue<string>() != id || !included)
        {
            throw new InvalidOperationException($"The generated transparency log does not prove certificate {id}: tree size {size} (expected {data.LogSize}), inclusion {included}.");
        }

        log(string.Create(CultureInfo.InvariantCulture, $"checked {data.Shape.Certificates:#,0}-certificate store: 20 certificates per probe holder, signatures valid, log entry {logIndex} included in tree of {size}"));
    }

    /// <summary>
    /// Lookup latency, one client in sequence, alternating between the two stores: first the first lookup of each of up
    /// to 100 holders never looked up (the store's path: index scan, unsealing), then repeated lookups of up to 100
    /// other holders after one touch each (the cached path); every lookup writes its access-log row.
    /// </summary>
    private async Task<(Latency Small, Latency Large)> LatencyAsync(LatencyTarget small, LatencyTarget large)
    {
        var perSet = Math.Min(100, Math.Min(small.Probes.Count, large.Probes.Count) / 2);
        var coldSmall = new LatencySeries();
        var coldLarge = new LatencySeries();
        for (var i = 0; i < perSet; i++)
        {
            // Alternate which store goes first, so neither always follows the other.
            var order = i % 2 == 0 ? new[] { (small, coldSmall), (large, coldLarge) } : [(large, coldLarge), (small, coldSmall)];
            foreach (var (target, series) in order)
            {
                await series.MeasureAsync(ct => LookupOnceAsync(target.Http, target.Token, target.Probes[perSet + i], ct));
            }
        }

        for (var i = 0; i < perSet; i++)
        {
            await LookupAsync(small.Http, small.Token, small.Probes[i]);
            await LookupAsync(large.Http, large.Token, large.Probes[i]);
        }

        var warmSmall = new LatencySeries();
        var warmLarge = new LatencySeries();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; watch.Elapsed < options.LatencyDuration * 2; i++)
        {
            var holder = i % perSet;
            await warmSmall.MeasureAsync(ct => LookupOnceAsync(small.Http, small.Token, small.Probes[holder], ct));
            await warmLarge.MeasureAsync(ct => LookupOnceAsync(large.Http, large.Token, large.Probes[holder], ct));
        }

        var result = (new Latency(coldSmall.ToResult(), warmSmall.ToResult()), new Latency(coldLarge.ToResult(), warmLarge.ToResult()));
        log($"lookup latency, first lookup: small store {result.Item1.Cold}; large store {result.Item2.Cold}");
        log($"lookup latency, repeated: small store {result.Item1.Warm}; large store {result.Item2.Warm}");
        return result;
    }

    private async Task<LookupLoad> LookupLoadAsync(ChildHost api, HttpClient http, string token, string holder, string field = "idNumber")
    {
        var answered = 0L;
        using var sampling = new CancellationTokenSource();
        var peak = 0.0;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, api.ResidentMegabytes() ?? 0);
                await Task.Delay(100, CancellationToken.None);
            }
        });
        var (load, cpuUse) = await LoadAsync(api, "API", async ct =>
        {
            var result = await LookupOnceAsync(http, token, holder, field, ct);
            if (result.Units > 0)
            {
                Interlocked.Increment(ref answered);
            }

            return result;
        });
        await sampling.CancelAsync();
        await sampler;
        return new LookupLoad(load, Interlocked.Read(ref answered), 0, peak, cpuUse);
    }

    /// <summary>
    /// The lookup and the offline-QR verification on SQLite: the API's embedded default (one node, in-process cache, so a
    /// verification checks the live status without a Redis round trip), 20 certificates issued through the API to the
    /// demo citizen.
    /// </summary>
    private async Task<(LookupLoad Lookup, LoadResult Verify, LookupLoad Organization)> SqliteAsync()
    {
        var directory = Directory.CreateTempSubdirectory("certlib-bench-");
        try
        {
            var database = Path.Combine(directory.FullName, "certlib.db");
            LookupLoad lookup, organization;
            LoadResult verify;
            string[] ids;
            await using (var api = await ChildHost.StartAsync(options.ApiDll, address => new Dictionary<string, string>
            {
                ["CERTLIB_STORE"] = "sqlite",
                ["CERTLIB_SQLITE_PATH"] = database,
                ["CERTLIB_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["CERTLIB_ISSUER"] = address.ToString().TrimEnd('/'),
                ["CERTLIB_LOOKUP_PER_MINUTE"] = "100000000", // one bench client is one department: the per-department limit is raised for the bench only
                ["CERTLIB_VERIFY_PER_MINUTE"] = "100000000", // and so is the per-address verification limit (all load comes from 127.0.0.1)
            }, "/health/ready", ["--seed-demo"], TimeSpan.FromSeconds(60)))
            {
                var (clientId, secret) = await HttpBench.DemoClientAsync(api);
                using var http = LoadGenerator.CreateClient(api.Address, options.Concurrency);
                var token = await HttpBench.TokenAsync(http, clientId, secret);
                using (var issue = new HttpRequestMessage(HttpMethod.Post, "/api/v1/certificates/batch")
                {
                    Content = JsonContent.Create(new { items = Enumerable.Range(0, DataShape.ProbeCertificates).Select(_ => HttpBench.MarriageRequest()).ToArray() }),
                })
                {
                    issue.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    using var issued = await http.SendAsync(issue);
                    issued.EnsureSuccessStatusCode();
                    var answer = await issued.Content.ReadFromJsonAsync<JsonObject>();
                    ids = [.. answer!["items"]!.AsArray().Select(i => i!["certificate"]!["id"]!.GetValue<string>())];
                }

                // The organisation lookup beside it (法人一码): 20 营业执照 of one company, looked up by credit code by the
                // issuing market-regulation department, in the same process right after the citizen load.
                var (marketId, marketSecret) = await HttpBench.DemoClientAsync(api, "市场监管");
                var marketToken = await HttpBench.TokenAsync(http, marketId, marketSecret);
                using (var issue = new HttpRequestMessage(HttpMethod.Post, "/api/v1/certificates/batch")
                {
                    Content = JsonContent.Create(new { items = Enumerable.Range(0, DataShape.ProbeCertificates).Select(_ => HttpBench.BusinessLicenceRequest()).ToArray() }),
                })
                {
                    issue.Headers.Authorization = new AuthenticationHeaderValue("Bearer", marketToken);
                    using var issued = await http.SendAsync(issue);
                    issued.EnsureSuccessStatusCode();
                }

                lookup = await LookupLoadAsync(api, http, token, HttpBench.HolderNumber);
                organization = await LookupLoadAsync(api, http, marketToken, HttpBench.Organization, "creditCode");
                log($"cached organisation lookup (SQLite, by credit code): {organization.Load}; peak RSS {organization.PeakRss:0} MiB; {organization.CpuUse}");
                // QR texts by id, not through a lookup: the access log must hold exactly the load's lookups.
                var qrTexts = await QrTextsAsync(http, token, ids);
                (verify, var verifyCpu) = await LoadAsync(api, "API", ct => VerifyOnceAsync(http, qrTexts, ct));
                log($"offline QR verification (SQLite, one node): {verify}; {verifyCpu}");
            }

            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = LookupRowsSql;
            var rows = Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
            log($"cached lookup (SQLite): {lookup.Load}; access log {rows:#,0} rows for {lookup.Lookups:#,0} lookups; peak RSS {lookup.PeakRss:0} MiB; {lookup.CpuUse}");
            if (rows != lookup.Lookups + organization.Lookups)
            {
                throw new InvalidOperationException($"The SQLite access log holds {rows} lookup rows for {lookup.Lookups} + {organization.Lookups} answered lookups.");
            }

            return (lookup with { AccessLogRows = rows }, verify, organization);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Offline QR texts (format 2, SM2 + ES256) of the holder's 结婚证 certificates, as GET /qr answers them for Accept: text/plain.</summary>
    private static async Task<IReadOnlyList<string>> QrTextsAsync(HttpClient http, string token, string holder) =>
        await QrTextsAsync(http, token, (await LookupAsync(http, token, holder)).Where(c => c!["typeCode"]!.GetValue<string>() == MarriageType).Select(c => c!["id"]!.GetValue<string>()));

    /// <summary>Offline QR texts (format 2, SM2 + ES256) of the given 结婚证 certificates.</summary>
    private static async Task<IReadOnlyList<string>> QrTextsAsync(HttpClient http, string token, IEnumerable<string> ids)
    {
        var texts = new List<string>();
        foreach (var id in ids)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/certificates/{Uri.EscapeDataString(id)}/qr?form=offline");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            texts.Add(response.IsSuccessStatusCode && text.StartsWith("CL2:", StringComparison.Ordinal)
                ? text
                : throw new InvalidOperationException($"GET /qr answered {(int)response.StatusCode}: {HttpBench.Shorten(text)}"));
        }

        return texts.Count > 0 ? texts : throw new InvalidOperationException("The probe holder has no 结婚证 to make an offline QR of.");
    }

    private static async Task<(int Units, string? Failure)> VerifyOnceAsync(HttpClient http, IReadOnlyList<string> qrTexts, CancellationToken cancellationToken)
    {
        using var request = VerifyRequest(qrTexts[Random.Shared.Next(qrTexts.Count)]);
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return (0, $"{(int)response.StatusCode}: {HttpBench.Shorten(body)}");
        }

        using var document = JsonDocument.Parse(body);
        var result = document.RootElement.GetProperty("result").GetString();
        return result == "valid" ? (1, null) : (0, "verify answered " + HttpBench.Shorten(body));
    }

    private static Task<(int Units, string? Failure)> LookupOnceAsync(HttpClient http, string token, string holder, CancellationToken cancellationToken) =>
        LookupOnceAsync(http, token, holder, "idNumber", cancellationToken);

    private static async Task<(int Units, string? Failure)> LookupOnceAsync(HttpClient http, string token, string holder, string field, CancellationToken cancellationToken)
    {
        using var request = LookupRequest(token, holder, field);
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return (0, $"{(int)response.StatusCode}: {HttpBench.Shorten(Encoding.UTF8.GetString(body))}");
        }

        var count = CountCertificates(body);
        return count == DataShape.ProbeCertificates ? (1, null) : (0, string.Create(CultureInfo.InvariantCulture, $"lookup answered {count} certificates instead of {DataShape.ProbeCertificates}"));
    }

    /// <summary>
    /// Entries of the answer's top-level <c>certificates</c> array (-1 when absent or not JSON), read forward-only over the
    /// UTF-8 bytes: the whole answer is still parsed, but without a UTF-16 copy and a DOM. The load generator shares the
    /// 2 cores with the API, and building a DOM of every 33 KB answer cost it CPU the ceiling's run never pays.
    /// </summary>
    private static int CountCertificates(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            var count = -1;
            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("certificates"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                    {
                        return -1;
                    }

                    count = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        count++;
                        reader.Skip();
                    }
                }
            }

            return count;
        }
        catch (JsonException)
        {
            return -1;
        }
    }

    private static async Task<JsonArray> LookupAsync(HttpClient http, string token, string holder) =>
        JsonNode.Parse(await LookupAnswerAsync(http, token, holder))!["certificates"]!.AsArray();

    private static async Task<(int Units, string? Failure)> SendOkAsync(HttpClient http, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, cancellationToken);
            await response.Content.ReadAsStringAsync(cancellationToken);
            return response.StatusCode == HttpStatusCode.OK ? (1, null) : (0, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>A lookup of a citizen by identity number or, with <paramref name="field"/> <c>creditCode</c>, of an organisation.</summary>
    private static HttpRequestMessage LookupRequest(string token, string holder, string field = "idNumber")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/holders/lookup")
        {
            Content = JsonContent.Create(new Dictionary<string, string> { [field] = holder, ["purpose"] = Purpose }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static HttpRequestMessage VerifyRequest(string qr) => new(HttpMethod.Post, "/api/v1/verify") { Content = JsonContent.Create(new { qr }) };

    /// <summary>PasswordHasher verifications/s with one thread per core (the server's budget for logins), same hasher settings as the identity provider.</summary>
    private double PasswordHashRate()
    {
        var hasher = new Microsoft.AspNetCore.Identity.PasswordHasher<object>();
        var user = new object();
        var hash = hasher.HashPassword(user, "correct horse battery staple");
        var duration = options.CryptoDuration;
        var counts = new long[Environment.ProcessorCount];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(0, counts.Length, new ParallelOptions { MaxDegreeOfParallelism = counts.Length }, i =>
        {
            do
            {
                if (hasher.VerifyHashedPassword(user, hash, "correct horse battery staple") == Microsoft.AspNetCore.Identity.PasswordVerificationResult.Failed)
                {
                    throw new InvalidOperationException("PasswordHasher rejected its own hash.");
                }

                counts[i]++;
            }
            while (watch.Elapsed < duration);
        });
        return counts.Sum() / watch.Elapsed.TotalSeconds;
    }

    private sealed record Latency(LoadResult Cold, LoadResult Warm);

    private sealed record LookupLoad(LoadResult Load, long Lookups, long AccessLogRows, double PeakRss, string CpuUse);

    private sealed record LatencyTarget(HttpClient Http, string Token, IReadOnlyList<string> Probes);

    private sealed record SmallResults(string Token, LookupLoad Lookup, IReadOnlyList<string> QrTexts, byte[] LookupAnswer, LoadResult Verify, double RawPairs, LoadResult Logins, double HashRate, Ceilings Ceiling);

    private sealed record Ceilings(LoadResult Lookup, LoadResult Verify, LoadResult SameAnswer);
}
