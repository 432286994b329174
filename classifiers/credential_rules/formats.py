# The rows hold long example values: a line may be longer than usual here.
# ruff: noqa: E501
"""Credential rules for formats rather than providers, fifth in the order they are tried: JSON
Web Tokens, PGP and PuTTY private keys, and database or message-queue connection strings that
carry a password.
"""

from __future__ import annotations

from classifiers.credential_rules.rule import Rule

ROWS: tuple[Rule, ...] = (
    Rule(
        provider="JSON Web Token",
        what="login token (JWT)",
        kind="jwt",
        pattern=r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        true_example="eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIyNjg1NjkyMiIsIm5hbWUiOiJEYW5hIiwiaWF0IjoxNzMzMzAwMDAwfQ.TEwnFaUG9F5wJFJKHkCpUOWaWXpb_Kt767eoALDVANp",
        false_example="eyJhbGciOiJIUzI1NiJ9.eyJ4eHgiOiJ4eHgifQ.xxxxxxxxxxxxxxxxxx",
        source="https://datatracker.ietf.org/doc/html/rfc7519",
        check="jwt",
    ),
    Rule(
        provider="PGP",
        what="private key block",
        kind="private_key",
        pattern=r"-----BEGIN PGP PRIVATE KEY BLOCK-----",
        true_example="-----BEGIN PGP PRIVATE KEY BLOCK-----",
        false_example="-----BEGIN PGP PUBLIC KEY BLOCK-----",
        source="https://datatracker.ietf.org/doc/html/rfc4880#section-6.2",
        score=0.96,
    ),
    Rule(
        provider="PuTTY",
        what="private key file",
        kind="private_key",
        pattern=r"PuTTY-User-Key-File-[23]: [a-z0-9\-]+",
        true_example="PuTTY-User-Key-File-3: ssh-ed25519",
        false_example="PuTTY public key: ssh-ed25519 AAAAC3Nz",
        source="https://the.earth.li/~sgtatham/putty/0.80/htmldoc/AppendixC.html",
        score=0.96,
    ),
    Rule(
        provider="PostgreSQL",
        what="connection string with password",
        kind="url_password",
        pattern="postgres(?:ql)?://[^\\s:/@\\\"'<>]{1,64}:[^\\s/@\\\"'<>]{3,128}@[A-Za-z0-9.\\-\\[\\]]+",
        true_example="postgresql://app:kOR4hpYeJUJNTo@db.acme.internal:5432/app",
        false_example="postgresql://user:password@localhost/db",
        source="https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING",
        check="url_password",
    ),
    Rule(
        provider="MySQL",
        what="connection string with password",
        kind="url_password",
        pattern="mysql(?:x)?://[^\\s:/@\\\"'<>]{1,64}:[^\\s/@\\\"'<>]{3,128}@[A-Za-z0-9.\\-\\[\\]]+",
        true_example="mysql://root:3g31HTcREtmK@10.2.3.4:3306/shop",
        false_example="mysql://user:<password>@host/db",
        source="https://dev.mysql.com/doc/refman/8.0/en/connecting-using-uri-or-key-value-pairs.html",
        check="url_password",
    ),
    Rule(
        provider="MongoDB",
        what="connection string with password",
        kind="url_password",
        pattern="mongodb(?:\\+srv)?://[^\\s:/@\\\"'<>]{1,64}:[^\\s/@\\\"'<>]{3,128}@[A-Za-z0-9.\\-\\[\\],:]+",
        true_example="mongodb+srv://admin:zGcVn86bxKahyAEE@cluster0.ab1cd.mongodb.net",
        false_example="mongodb+srv://<username>:<password>@cluster0.mongodb.net",
        source="https://www.mongodb.com/docs/manual/reference/connection-string/",
        check="url_password",
    ),
    Rule(
        provider="Redis",
        what="connection string with password",
        kind="url_password",
        pattern="rediss?://[^\\s:/@\\\"'<>]{0,64}:[^\\s/@\\\"'<>]{3,128}@[A-Za-z0-9.\\-\\[\\]]+",
        true_example="rediss://default:5qB60h6ZMQ7q7yCaTnJR@cache.acme.io:6380",
        false_example="redis://:changeme@localhost:6379",
        source="https://redis.io/docs/latest/develop/clients/",
        check="url_password",
    ),
    Rule(
        provider="RabbitMQ",
        what="AMQP URI with password",
        kind="url_password",
        pattern="amqps?://[^\\s:/@\\\"'<>]{1,64}:[^\\s/@\\\"'<>]{3,128}@[A-Za-z0-9.\\-\\[\\]]+",
        true_example="amqps://svc:vgPlTz77ttcOgQRjJV@mq.acme.io/vhost",
        false_example="amqp://guest:guest@localhost:5672/",
        source="https://www.rabbitmq.com/docs/uri-spec",
        check="url_password",
    ),
    Rule(
        provider="SQL Server",
        what="ADO.NET connection string",
        kind="password_assignment",
        pattern="(?i:(?:server|data source)=[^;\\n]{1,80};(?:[^;\\n]{1,80};){0,4}\\s*(?:password|pwd)=)[^;\\s'\\\"]{4,128}",
        true_example="Server=sql01.acme.local;Database=crm;User Id=sa;Password=F4swdNG8FC!03;",
        false_example="Server=myServerAddress;Database=myDataBase;User Id=myUsername;Password=myPassword;",
        source="https://learn.microsoft.com/en-us/dotnet/api/system.data.sqlclient.sqlconnection.connectionstring",
        check="tail_password",
    ),
)
