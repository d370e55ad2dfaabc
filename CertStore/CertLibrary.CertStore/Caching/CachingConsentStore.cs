using CertLibrary.CertStore.OneNumber;

namespace CertLibrary.CertStore.Caching;

/// <summary>
/// Caching decorator of a holder's consent setting and consents (read by every lookup and every read by a using
/// department). Setting, granting and withdrawing replace the holder's generation after the write and before they
/// return, so the next lookup on any node sees the change.
/// </summary>
internal sealed class CachingConsentStore(IConsentStore inner, TwoLevelCache cache) : IConsentStore
{
    public static string ConsentsKey(string holderKey) => "k:" + holderKey;

    public async Task<bool> IsConsentRequiredAsync(string holderKey, CancellationToken cancellationToken) =>
        (await GetAsync(holderKey, cancellationToken)).Required;

    public async Task<IReadOnlyList<Consent>> ListAsync(string holderKey, CancellationToken cancellationToken) =>
        (await GetAsync(holderKey, cancellationToken)).Consents;

    public async Task SetConsentRequiredAsync(string holderKey, bool required, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await inner.SetConsentRequiredAsync(holderKey, required, now, cancellationToken);
        await cache.InvalidateAsync([ConsentsKey(holderKey)], CancellationToken.None);
    }

    public async Task AddAsync(string holderKey, Consent consent, CancellationToken cancellationToken)
    {
        await inner.AddAsync(holderKey, consent, cancellationToken);
        await cache.InvalidateAsync([ConsentsKey(holderKey)], CancellationToken.None);
    }

    public async Task<bool> WithdrawAsync(string holderKey, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var withdrawn = await inner.WithdrawAsync(holderKey, id, now, cancellationToken);
        await cache.InvalidateAsync([ConsentsKey(holderKey)], CancellationToken.None);
        return withdrawn;
    }

    private async Task<HolderConsents> GetAsync(string holderKey, CancellationToken cancellationToken) =>
        (await cache.GetOrLoadAsync(ConsentsKey(holderKey), async ct =>
            new HolderConsents(await inner.IsConsentRequiredAsync(holderKey, ct), await inner.ListAsync(holderKey, ct)), cancellationToken))!;

    /// <summary>What is cached per holder: the setting and every consent (state is derived at read time from the clock).</summary>
    internal sealed record HolderConsents(bool Required, IReadOnlyList<Consent> Consents);
}
