using System.Text;
using CertLibrary.Data;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CertLibrary.CertStore.Stores;

/// <summary>
/// Seals the free-text status reasons that rows changed before reason codes existed still hold in clear
/// (<c>status_reason</c>): migration V002 gave them a code, but SQL has no key to seal the text. Runs at start-up after
/// the migrations; safe on several nodes at once and against concurrent status changes (each row is updated only while
/// it still holds the text that was sealed). Reads serve such rows correctly before they are sealed.
/// </summary>
internal sealed partial class LegacyStatusReasonSealer(
    ICertLibraryDatabase database,
    PersonalDataProtector protector,
    ILogger<LegacyStatusReasonSealer> logger) : IHostedService
{
    private const int BatchSize = 500;

    /// <summary>Seals every clear-text reason left; returns how many rows it sealed.</summary>
    public async Task<int> SealAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var total = 0;
        while (true)
        {
            var rows = (await connection.QueryAsync<(string HolderKey, string Id, string Reason)>(new CommandDefinition(
                "SELECT holder_key, id, status_reason FROM certificates WHERE status_reason IS NOT NULL ORDER BY id LIMIT @limit",
                new { limit = BatchSize }, cancellationToken: cancellationToken))).ToList();
            var sealedNow = 0;
            foreach (var (holderKey, id, reason) in rows)
            {
                var sealedReason = protector.Seal(Encoding.UTF8.GetBytes(reason), StoredCertificate.ReasonAssociatedData(id));
                sealedNow += await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE certificates SET status_reason_sealed = @sealedReason, status_reason = NULL, " +
                    "status_reason_code = COALESCE(status_reason_code, CASE WHEN superseded_by IS NOT NULL THEN 'superseded' ELSE 'other' END) " +
                    "WHERE holder_key = @holderKey AND id = @id AND status_reason = @reason",
                    new { sealedReason, holderKey, id, reason }, cancellationToken: cancellationToken));
            }

            total += sealedNow;
            if (rows.Count < BatchSize || sealedNow == 0)
            {
                break;
            }
        }

        if (total > 0)
        {
            LogSealed(logger, total);
        }

        return total;
    }

    // Hosted services start in registration order: AddCertStore registers the migrator (AddCertLibraryData) before this.
    Task IHostedService.StartAsync(CancellationToken cancellationToken) => SealAsync(cancellationToken);

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Sealed the clear-text status reasons of {Count} certificates")]
    private static partial void LogSealed(ILogger logger, int count);
}
