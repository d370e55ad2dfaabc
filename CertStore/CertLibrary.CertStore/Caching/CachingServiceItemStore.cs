using CertLibrary.CertStore.OneNumber;

namespace CertLibrary.CertStore.Caching;

/// <summary>
/// Caching decorator of service items by code (read by every lookup for an item). Adding, replacing and deleting an
/// item replace its generation after the write and before they return, on every node.
/// </summary>
internal sealed class CachingServiceItemStore(IServiceItemStore inner, TwoLevelCache cache) : IServiceItemStore
{
    public static string ItemKey(string code) => "i:" + code;

    public Task<ServiceItem?> FindAsync(string code, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(ItemKey(code), ct => inner.FindAsync(code, ct), cancellationToken);

    public Task<IReadOnlyList<ServiceItem>> ListAsync(CancellationToken cancellationToken) => inner.ListAsync(cancellationToken);

    public async Task<bool> AddAsync(ServiceItem item, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var added = await inner.AddAsync(item, now, cancellationToken);
        await cache.InvalidateAsync([ItemKey(item.Code)], CancellationToken.None);
        return added;
    }

    public async Task<bool> ReplaceAsync(ServiceItem item, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var replaced = await inner.ReplaceAsync(item, now, cancellationToken);
        await cache.InvalidateAsync([ItemKey(item.Code)], CancellationToken.None);
        return replaced;
    }

    public async Task<bool> DeleteAsync(string code, CancellationToken cancellationToken)
    {
        var deleted = await inner.DeleteAsync(code, cancellationToken);
        await cache.InvalidateAsync([ItemKey(code)], CancellationToken.None);
        return deleted;
    }
}
