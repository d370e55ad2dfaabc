using System.Data.Common;
using CertLibrary.Data;
using Dapper;

namespace CertLibrary.CertStore.Representatives;

/// <summary>Representative links and their audit on SQLite and PostgreSQL (portable SQL).</summary>
internal sealed class SqlRepresentativeStore(ICertLibraryDatabase database) : IRepresentativeStore
{
    private const string LinkColumns = "citizen_key, credit_code, role, organization_name, sealed_citizen, linked_at, linked_by, linked_by_department";

    public async Task SaveAsync(RepresentativeLink link, RepresentativeAuditEntry audit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO representatives ({LinkColumns}) VALUES (@CitizenKey, @CreditCode, @Role, @OrganizationName, @SealedCitizen, @LinkedAt, @LinkedBy, @LinkedByDepartment) " +
            "ON CONFLICT (citizen_key, credit_code) DO UPDATE SET role = excluded.role, organization_name = excluded.organization_name, " +
            "sealed_citizen = excluded.sealed_citizen, linked_at = excluded.linked_at, linked_by = excluded.linked_by, linked_by_department = excluded.linked_by_department",
            new
            {
                link.CitizenKey, link.CreditCode, link.Role, link.OrganizationName, link.SealedCitizen, LinkedAt = link.LinkedAt.ToUniversalTime(),
                link.LinkedBy, link.LinkedByDepartment,
            }, transaction, cancellationToken: cancellationToken));
        await AppendAsync(connection, transaction, link.CreditCode, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<bool> RemoveAsync(string citizenKey, string creditCode, RepresentativeAuditEntry audit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM representatives WHERE citizen_key = @citizenKey AND credit_code = @creditCode", new { citizenKey, creditCode },
            transaction, cancellationToken: cancellationToken));
        if (removed == 0)
        {
            return false;
        }

        await AppendAsync(connection, transaction, creditCode, audit, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<RepresentativeLink?> FindAsync(string citizenKey, string creditCode, CancellationToken cancellationToken) =>
        (await QueryLinksAsync("WHERE citizen_key = @citizenKey AND credit_code = @creditCode", new { citizenKey, creditCode }, cancellationToken)).FirstOrDefault();

    public Task<IReadOnlyList<RepresentativeLink>> ListByCitizenAsync(string citizenKey, CancellationToken cancellationToken) =>
        QueryLinksAsync("WHERE citizen_key = @citizenKey ORDER BY organization_name, credit_code", new { citizenKey }, cancellationToken);

    public Task<IReadOnlyList<RepresentativeLink>> ListByOrganizationAsync(string creditCode, CancellationToken cancellationToken) =>
        QueryLinksAsync("WHERE credit_code = @creditCode ORDER BY linked_at, citizen_key", new { creditCode }, cancellationToken);

    public async Task AppendAuditAsync(string creditCode, RepresentativeAuditEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await AppendAsync(connection, null, creditCode, entry, cancellationToken);
    }

    public async Task<IReadOnlyList<RepresentativeAuditEntry>> ListAuditAsync(string creditCode, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            "SELECT id, at, action, citizen_key, role, client_id, department_code FROM representative_audit WHERE credit_code = @creditCode " +
            "ORDER BY at DESC, id DESC LIMIT @limit", new { creditCode, limit }, cancellationToken: cancellationToken));
        var list = new List<RepresentativeAuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new RepresentativeAuditEntry(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return list;
    }

    private static Task AppendAsync(DbConnection connection, DbTransaction? transaction, string creditCode, RepresentativeAuditEntry entry, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO representative_audit (credit_code, id, at, action, citizen_key, role, client_id, department_code) " +
            "VALUES (@creditCode, @Id, @At, @Action, @CitizenKey, @Role, @ClientId, @DepartmentCode)",
            new { creditCode, entry.Id, At = entry.At.ToUniversalTime(), entry.Action, entry.CitizenKey, entry.Role, entry.ClientId, entry.DepartmentCode },
            transaction, cancellationToken: cancellationToken));

    private async Task<IReadOnlyList<RepresentativeLink>> QueryLinksAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            $"SELECT {LinkColumns} FROM representatives {where}", parameters, cancellationToken: cancellationToken));
        var list = new List<RepresentativeLink>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new RepresentativeLink(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), (byte[])reader.GetValue(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
        }

        return list;
    }
}
