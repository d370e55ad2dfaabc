using System.Data.Common;
using CertLibrary.CertStore.OneNumber;
using CertLibrary.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.CertStore.Tests;

/// <summary>The one-number stores (service items, consents, access log) on every backend; the access log refuses changes in the database itself.</summary>
public abstract class OneNumberStoreContract : IAsyncLifetime
{
    private const string HolderKey = "holder-key-a";
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    private StoreNode _node = null!;

    protected abstract string Backend { get; }

    protected abstract Task<string> CreateLocationAsync();

    private IAccessLogStore AccessLog => _node.Services.GetRequiredService<IAccessLogStore>();

    private IConsentStore Consents => _node.Services.GetRequiredService<IConsentStore>();

    private IServiceItemStore Items => _node.Services.GetRequiredService<IServiceItemStore>();

    public async Task InitializeAsync() => _node = await StoreNode.StartAsync(Backend, await CreateLocationAsync(), TestEnvironment.NewMasterKey());

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task AccessLog_Append_ListsNewestFirstPagedPerHolder()
    {
        for (var i = 0; i < 5; i++)
        {
            await AccessLog.AppendAsync(HolderKey, Entry(T0.AddMinutes(i), $"purpose {i}"), default);
        }

        await AccessLog.AppendAsync("holder-key-b", Entry(T0, "other holder"), default);

        var (first, total) = await AccessLog.ListAsync(HolderKey, 0, 2, default);
        var (last, _) = await AccessLog.ListAsync(HolderKey, 4, 2, default);

        Assert.Equal(5, total);
        Assert.Equal(["purpose 4", "purpose 3"], first.Select(e => e.Purpose));
        Assert.Equal("purpose 0", Assert.Single(last).Purpose);
        Assert.Equal(T0, last[0].At);
        Assert.Equal(["1.2.156.3005.2.x"], last[0].CertificateIds);
    }

    [Fact]
    public async Task AccessLog_ConcurrentAppends_EveryRowStoredWithEveryField()
    {
        var entries = Enumerable.Range(0, 40).Select(i => new AccessLogEntry(
            Guid.CreateVersion7(T0.AddSeconds(i)).ToString("N"), T0.AddSeconds(i), i % 3 == 0 ? AccessActions.Read : AccessActions.Lookup,
            i % 2 == 0 ? null : "11110000000021135M", $"client-{i}", i % 4 == 0 ? null : $"事由 {i}", i % 5 == 0 ? $"item-{i}" : null,
            [.. Enumerable.Range(0, i % 4).Select(j => $"1.2.156.3005.2.{i}.{j}")], i % 7 == 0 ? AccessResults.ConsentRequired : AccessResults.Ok)).ToList();

        await Task.WhenAll(entries.Select(e => Task.Run(() => AccessLog.AppendAsync(HolderKey, e, default))));
        var (items, total) = await AccessLog.ListAsync(HolderKey, 0, 100, default);

        Assert.Equal(entries.Count, total);
        foreach (var (expected, stored) in entries.OrderByDescending(e => e.At).Zip(items))
        {
            Assert.Equal(expected with { CertificateIds = stored.CertificateIds }, stored);
            Assert.Equal(expected.CertificateIds, stored.CertificateIds);
        }
    }

    [Fact]
    public async Task AccessLog_AppendMany_WritesEveryRowOrNone()
    {
        var store = new SqlOneNumberStore(_node.Database);
        var entries = Enumerable.Range(0, 250).Select(i => (HolderKey, Entry(T0.AddMilliseconds(i), i % 3 == 0 ? null : $"purpose {i}"))).ToList();
        var withDuplicate = entries.Append((HolderKey, entries[10].Item2 with { Purpose = "same id again" })).ToList();

        await Assert.ThrowsAnyAsync<DbException>(() => store.AppendManyAsync(withDuplicate, default));
        var (_, afterFailure) = await AccessLog.ListAsync(HolderKey, 0, 1, default);
        await store.AppendManyAsync(entries, default);
        var (items, total) = await AccessLog.ListAsync(HolderKey, 0, 300, default);

        Assert.Equal(0, afterFailure);
        Assert.Equal(250, total);
        Assert.Equal(entries.Select(e => e.Item2).OrderByDescending(e => e.At).Select(e => (e.Id, e.Purpose)), items.Select(e => (e.Id, e.Purpose)));
    }

    [Theory]
    [InlineData("UPDATE access_log SET purpose = 'altered'")]
    [InlineData("DELETE FROM access_log")]
    public async Task AccessLog_UpdateOrDelete_RefusedByTheDatabase(string sql)
    {
        await AccessLog.AppendAsync(HolderKey, Entry(T0, "kept"), default);

        await using var connection = await _node.Database.OpenConnectionAsync(default);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var error = await Assert.ThrowsAnyAsync<DbException>(() => command.ExecuteNonQueryAsync());

        Assert.Contains("append-only", error.Message, StringComparison.Ordinal);
        var (items, _) = await AccessLog.ListAsync(HolderKey, 0, 10, default);
        Assert.Equal("kept", Assert.Single(items).Purpose);
    }

    [Fact]
    public async Task Consents_SettingGrantWithdraw_RoundTrip()
    {
        var consent = new Consent("c1", "11110000000021135M", ["11110000000021135M001"], null, T0.AddDays(30), T0, null);

        var before = await Consents.IsConsentRequiredAsync(HolderKey, default);
        await Consents.SetConsentRequiredAsync(HolderKey, true, T0, default);
        await Consents.AddAsync(HolderKey, consent, default);
        var withdrawn = await Consents.WithdrawAsync(HolderKey, "c1", T0.AddHours(1), default);
        var again = await Consents.WithdrawAsync(HolderKey, "c1", T0.AddHours(2), default);
        var stored = Assert.Single(await Consents.ListAsync(HolderKey, default));

        Assert.False(before);
        Assert.True(await Consents.IsConsentRequiredAsync(HolderKey, default));
        Assert.True(withdrawn);
        Assert.False(again);
        Assert.Equal(consent with { WithdrawnAt = T0.AddHours(1), TypeCodes = stored.TypeCodes }, stored);
        Assert.Equal(consent.TypeCodes, stored.TypeCodes);
        Assert.Empty(await Consents.ListAsync("holder-key-b", default));
    }

    [Fact]
    public async Task ServiceItems_AddReplaceDelete()
    {
        var item = new ServiceItem("I-1", "事项", [new ServiceMaterial("11110000000021135M001", true)], new ServiceGuide("依据", "单位", 5));

        Assert.True(await Items.AddAsync(item, T0, default));
        Assert.False(await Items.AddAsync(item, T0, default));
        Assert.True(await Items.ReplaceAsync(item with { Name = "新事项" }, T0, default));
        var found = await Items.FindAsync("I-1", default);
        Assert.Equal("新事项", found!.Name);
        Assert.Equal(item.RequiredMaterials, found.RequiredMaterials);
        Assert.Single(await Items.ListAsync(default));
        Assert.True(await Items.DeleteAsync("I-1", default));
        Assert.Null(await Items.FindAsync("I-1", default));
        Assert.False(await Items.ReplaceAsync(item, T0, default));
    }

    private static AccessLogEntry Entry(DateTimeOffset at, string? purpose) =>
        new(Guid.CreateVersion7(at).ToString("N"), at, AccessActions.Lookup, "11110000000021135M", "client", purpose, null, ["1.2.156.3005.2.x"], AccessResults.Ok);
}

public sealed class SqliteOneNumberStoreTests : OneNumberStoreContract
{
    protected override string Backend => "sqlite";

    protected override Task<string> CreateLocationAsync() =>
        Task.FromResult(Path.Combine(Path.GetTempPath(), "certlib-tests", Guid.NewGuid().ToString("N"), "certlib.db"));
}

public sealed class PostgreSqlOneNumberStoreTests : OneNumberStoreContract
{
    protected override string Backend => "postgresql";

    protected override Task<string> CreateLocationAsync() => TestEnvironment.CreatePostgresDatabaseAsync();
}
