namespace CertLibrary.CertStore.OneNumber;

/// <summary>Service items (reference data).</summary>
public interface IServiceItemStore
{
    Task<ServiceItem?> FindAsync(string code, CancellationToken cancellationToken);

    Task<IReadOnlyList<ServiceItem>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Adds an item; false when the code exists.</summary>
    Task<bool> AddAsync(ServiceItem item, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Replaces an item; false when the code does not exist.</summary>
    Task<bool> ReplaceAsync(ServiceItem item, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes an item; false when the code does not exist.</summary>
    Task<bool> DeleteAsync(string code, CancellationToken cancellationToken);
}

/// <summary>A holder's consent setting and consents, keyed by holder key.</summary>
public interface IConsentStore
{
    Task<bool> IsConsentRequiredAsync(string holderKey, CancellationToken cancellationToken);

    Task SetConsentRequiredAsync(string holderKey, bool required, DateTimeOffset now, CancellationToken cancellationToken);

    Task<IReadOnlyList<Consent>> ListAsync(string holderKey, CancellationToken cancellationToken);

    Task AddAsync(string holderKey, Consent consent, CancellationToken cancellationToken);

    /// <summary>Marks a consent withdrawn; false when it does not exist or was withdrawn already.</summary>
    Task<bool> WithdrawAsync(string holderKey, string id, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>The append-only access log. Deliberately has no update or delete.</summary>
public interface IAccessLogStore
{
    Task AppendAsync(string holderKey, AccessLogEntry entry, CancellationToken cancellationToken);

    /// <summary>Entries newest first, with the total count.</summary>
    Task<(IReadOnlyList<AccessLogEntry> Items, long Total)> ListAsync(string holderKey, int offset, int limit, CancellationToken cancellationToken);
}
