import Foundation

/// A token server for a registry with distribution's `auth: token` (as Docker Hub's auth.docker.io): a python3
/// script (standard library and `cryptography` only) on a free loopback port. `GET /token?service=…&scope=…` checks
/// HTTP basic credentials against the user and password given, and answers `{"token", "access_token",
/// "expires_in"}` with an ES256 JWT granting every requested scope, signed by a key and self-signed certificate made
/// for this run (the certificate rides in the JWT header's `x5c`; the registry trusts it through `rootcertbundle`,
/// `certificatePath`). Wrong credentials get 401 `{"details": "incorrect username or password"}`, as Docker Hub's;
/// anonymous callers get a token that grants nothing. Killed (by its pidfd) in the run's cleanup.
public final class TokenServer: @unchecked Sendable {
    public let port: Int
    public let pid: Int32
    /// The `service` the registry names in its challenges and the JWT's audience.
    public let service: String
    public let issuer: String
    /// PEM of the signing certificate, the registry's `rootcertbundle`.
    public let certificatePath: String
    let logPath: String
    public var realm: String { "http://127.0.0.1:\(port)/token" }

    private init(port: Int, pid: Int32, service: String, issuer: String, directory: String) {
        self.port = port
        self.pid = pid
        self.service = service
        self.issuer = issuer
        certificatePath = directory + "/token.crt"
        logPath = directory + "/log"
    }

    /// The requests served so far, `GET /token?…` with the query as sent (in order).
    public func requests() -> [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    public static func start(in run: TestRun, user: String, password: String) async throws -> TokenServer {
        let directory = run.path("token-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try script.write(toFile: directory + "/token_server.py", atomically: true, encoding: .utf8)
        let issuer = "shoal-test-issuer-\(run.id)"
        let process = try run.startProcess(
            "token server", "/usr/bin/python3", [directory + "/token_server.py", directory, user, password, issuer],
            log: directory + "/log")
        // The script binds port 0 itself and writes the port it got once it listens: no race for a free port.
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: directory + "/port", encoding: .utf8), let port = Int(text) {
                return TokenServer(port: port, pid: process.pid, service: "shoal-test-registry", issuer: issuer,
                                   directory: directory)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ShellError(command: "token_server.py", status: process.tryWait().map(Shell.status) ?? -1,
                         stderr: (try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? "")
    }

    static let script = #"""
# Test token server for distribution's `auth: token` (JWT, ES256, x5c header). Args: DIR USER PASSWORD ISSUER.
import base64, datetime, http.server, json, os, sys, time, urllib.parse, uuid
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

directory, user, password, issuer = sys.argv[1:5]
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shoal-test-token-issuer")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
with open(os.path.join(directory, "token.crt"), "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def jwt(claims):
    header = {"typ": "JWT", "alg": "ES256", "x5c": [x5c]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

def access(scopes):
    granted = []
    for scope in scopes:
        # type:name:actions, where the name may itself hold colons (host:port/…) and the type a class: x(y).
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        if kind and name:
            granted.append({"type": kind.split("(")[0], "name": name, "actions": [a for a in actions.split(",") if a]})
    return granted

class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path != "/token":
            return self.reply(404, {"details": "not found"})
        account = None
        auth = self.headers.get("Authorization", "")
        if auth:
            try:
                scheme, _, value = auth.partition(" ")
                given_user, _, given_password = base64.b64decode(value).decode().partition(":")
                assert scheme.lower() == "basic"
            except Exception:
                return self.reply(400, {"details": "malformed Authorization header"})
            if (given_user, given_password) != (user, password):
                return self.reply(401, {"details": "incorrect username or password"},
                                  [("WWW-Authenticate", 'Basic realm="shoal-test-token"')])
            account = given_user
        scopes = [s for s in query.get("scope", []) if s]
        issued = int(time.time())
        claims = {"iss": issuer, "sub": account or "", "aud": query.get("service", [""])[0],
                  "exp": issued + 300, "nbf": issued - 10, "iat": issued, "jti": uuid.uuid4().hex,
                  # Anonymous callers get a token that grants nothing, as Docker Hub's does for private repositories.
                  "access": access(scopes) if account else []}
        token = jwt(claims)
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300,
                         "issued_at": datetime.datetime.fromtimestamp(issued, datetime.timezone.utc).isoformat()})

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))
        sys.stderr.flush()

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
port_file = os.path.join(directory, "port")
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
"""#
}
