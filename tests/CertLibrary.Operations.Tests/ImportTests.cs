using CertLibrary.Cli.Import;

namespace CertLibrary.Operations.Tests;

/// <summary>One API process on a fresh SQLite store, with a department, its types and an issuing client.</summary>
public sealed class SqliteApiFixture : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("certlib-ops-").FullName;

    public ApiProcess.Settings Settings { get; private set; } = null!;

    public ApiProcess Api { get; private set; } = null!;

    public IssuingClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Settings = ApiProcess.Settings.Sqlite(Path.Combine(Directory, "certlib.db"));
        Api = await ApiProcess.StartAsync(Settings);
        Client = await Deployment.SetUpAsync(Api, Settings);
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

[Collection(ApiProcessCollection.Name)]
public sealed class ImportTests(SqliteApiFixture fixture) : IClassFixture<SqliteApiFixture>
{
    private string[] Import(string file, params string[] more) =>
        ["import", file, "--api", fixture.Api.BaseAddress.ToString(), "--client-id", fixture.Client.ClientId, "--client-secret", fixture.Client.ClientSecret, .. more];

    [Fact]
    public async Task Import_RunTwiceAndAgainWithoutState_EachRowIsExactlyOneCertificate()
    {
        var file = Deployment.WriteLegacyCsv(fixture.Directory, 450, "rerun.csv");
        using var http = fixture.Api.Client();
        var before = await Stores.CertificatesAsync(fixture.Settings);

        var (exit, output) = await Cli.RunAsync(Import(file, "--batch-size", "200"));

        Assert.True(exit == 0, output);
        Assert.Contains("450 certificates issued, 0 rows refused by the server, 0 invalid rows skipped; 3 of 3 batches answered", output, StringComparison.Ordinal);
        var results = ResultsFile.Read(file + ".certlib-results.csv");
        Assert.Equal(Enumerable.Range(2, 450), results.Keys.Order());
        Assert.Equal(450, results.Values.Distinct().Count(id => id is not null));
        var (size, _) = await TransparencyLogCheck.TreeHeadAsync(http);

        // Again with the state: every batch is known to be answered; nothing is sent.
        var (again, againOutput) = await Cli.RunAsync(Import(file));
        Assert.True(again == 0, againOutput);
        Assert.Contains("Resuming: 3 of 3 batches were answered", againOutput, StringComparison.Ordinal);

        // Again with state and results lost: the same idempotency keys replay the first answers.
        File.Delete(file + ".certlib-state.json");
        File.Delete(file + ".certlib-results.csv");
        var (replay, replayOutput) = await Cli.RunAsync(Import(file));
        Assert.True(replay == 0, replayOutput);
        Assert.Equal(results, ResultsFile.Read(file + ".certlib-results.csv"));

        Assert.Equal(size, (await TransparencyLogCheck.TreeHeadAsync(http)).Size);
        var after = await Stores.CertificatesAsync(fixture.Settings);
        Assert.Equal(before.Count + 450, after.Count);
        Assert.Subset(after.Keys.ToHashSet(), results.Values.OfType<string>().ToHashSet());
    }

    [Fact]
    public async Task Import_AnswerLostAfterTheServerCommitted_RetryReplaysAndCreatesNothingTwice()
    {
        var file = Deployment.WriteLegacyCsv(fixture.Directory, 600, "lost-answer.csv");
        var before = await Stores.CertificatesAsync(fixture.Settings);
        using var handler = new LoseSecondBatchAnswer();

        var (exit, output) = await Cli.RunAsync(Import(file, "--batch-size", "200", "--retries", "2"), default, handler: handler);

        Assert.True(exit == 0, output);
        Assert.Equal(4, handler.BatchCalls); // batch 2 was sent twice: the server issued it the first time
        var results = ResultsFile.Read(file + ".certlib-results.csv");
        var ids = results.Values.OfType<string>().ToHashSet(StringComparer.Ordinal);
        Assert.Equal(600, ids.Count);
        var after = await Stores.CertificatesAsync(fixture.Settings);
        Assert.Equal(before.Count + 600, after.Count);
        Assert.True(ids.IsSubsetOf(after.Keys));
    }

    /// <summary>Forwards every request, but throws away the server's answer to the second batch, as a reset connection would.</summary>
    private sealed class LoseSecondBatchAnswer() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _batchCalls;

        public int BatchCalls => _batchCalls;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.EndsWith("/certificates/batch", StringComparison.Ordinal) && Interlocked.Increment(ref _batchCalls) == 2)
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                response.Dispose();
                throw new HttpRequestException("connection reset after the server answered (simulated)");
            }

            return response;
        }
    }

    [Fact]
    public async Task Import_OrganizationRows_IssuedWithCreditCodeHolders()
    {
        var file = Path.Combine(fixture.Directory, "organizations.csv");
        var codes = new[] { "51100000500000048", "51100000500000056" }.Select(c => CertLibrary.Identifiers.CreditCode.Create(c).ToString()).ToArray();
        await File.WriteAllTextAsync(file,
            "typeCode,creditCode,name,number,fields.legalRepresentative\n" +
            $"{Deployment.OrganizationType},{codes[0]},中国某某协会,ST-1,张三\n" +
            $"{Deployment.OrganizationType},{codes[1].ToLowerInvariant()},中国另一协会,ST-2,李四\n");
        var before = await Stores.CertificatesAsync(fixture.Settings);

        var (exit, output) = await Cli.RunAsync(Import(file));

        Assert.True(exit == 0, output);
        Assert.Contains("2 certificates issued, 0 rows refused by the server", output, StringComparison.Ordinal);
        var results = ResultsFile.Read(file + ".certlib-results.csv");
        Assert.All(results.Values, id => Assert.NotNull(id));
        Assert.Equal(before.Count + 2, (await Stores.CertificatesAsync(fixture.Settings)).Count);
    }

    [Fact]
    public async Task Import_ServerRefusesSomeRows_ReportsTheirLinesAndExitsPartial()
    {
        var file = Path.Combine(fixture.Directory, "mixed.jsonl");
        string Line(string type, int holder, string number, string fields) =>
            $"{{\"typeCode\":\"{type}\",\"holder\":{{\"idNumber\":\"{Deployment.Holder(holder)}\",\"name\":\"某人\"}},\"number\":\"{number}\",\"fields\":{fields}}}";
        const string Good = "{\"spouseName\":\"乙\",\"registeredOn\":\"1999-01-01\",\"registrationOffice\":\"某局\"}";
        await File.WriteAllLinesAsync(file,
        [
            Line(Deployment.MarriageType, 9001, "M-1", Good),
            Line(Deployment.OtherDepartmentsType, 9002, "M-2", "{\"address\":\"某地\"}"),
            Line(Deployment.MarriageType, 9003, "M-3", "{\"spouseName\":\"乙\"}"),
            Line(Deployment.MarriageType, 9004, "M-4", Good),
        ]);

        var (exit, output) = await Cli.RunAsync(Import(file));

        Assert.True(exit == 2, output);
        Assert.Matches($"line 2 \\(110105\\*+\\w{{4}}\\): .*{Deployment.OtherDepartmentsType}", output);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(output, "line 3 \\(110105\\*+\\w{4}\\): .*urn:certlib:problem:validation"), output);
        Assert.Contains("2 certificates issued, 2 rows refused by the server", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Deployment.Holder(9002), output, StringComparison.Ordinal);
        var results = ResultsFile.Read(file + ".certlib-results.csv");
        Assert.NotNull(results[1]);
        Assert.Null(results[2]);
        Assert.Null(results[3]);
        Assert.NotNull(results[4]);
    }

    [Fact]
    public async Task Import_WrongSecret_ExitsUnavailableAndSendsNothing()
    {
        var file = Deployment.WriteLegacyCsv(fixture.Directory, 2, "wrong-secret.csv");

        var (exit, output) = await Cli.RunAsync(["import", file, "--api", fixture.Api.BaseAddress.ToString(), "--client-id", fixture.Client.ClientId, "--client-secret", "not-the-secret"]);

        Assert.Equal(3, exit);
        Assert.Contains("Authentication failed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret", output, StringComparison.Ordinal);
        Assert.False(File.Exists(file + ".certlib-state.json"));
    }
}

/// <summary>API child processes are heavy on two cores: their tests run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ApiProcessCollection
{
    public const string Name = "API processes";
}
