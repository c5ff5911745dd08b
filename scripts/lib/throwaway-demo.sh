# Sourced by scripts that need the demo running on a throwaway database, data
# folder and port (scripts/demo-check, scripts/fuzz). Not a command of its own.
#
#   . scripts/lib/throwaway-demo.sh
#   throwaway_demo_start NAME PORT     # returns once /readyz answers
#   ... "${demo_url}", "${demo_dir}/demo-password", "${demo_dir}/demo.log" ...
#
# Every variable the caller exports (SOUK_…) reaches the demo. Everything it made
# is removed when the calling script exits.

demo_admin_url="${SOUK_DEMO_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}"

throwaway_demo_cleanup() {
    [ -n "${demo_pid:-}" ] && kill "${demo_pid}" 2>/dev/null || true
    [ -n "${demo_pid:-}" ] && wait "${demo_pid}" 2>/dev/null || true
    [ -f "${demo_dir}/mongo/pid" ] && kill "$(cat "${demo_dir}/mongo/pid")" 2>/dev/null || true
    psql "${demo_admin_url}/postgres" -qc "DROP DATABASE IF EXISTS \"${demo_database}\" WITH (FORCE)" \
        >/dev/null 2>&1 || true
    rm -rf "${demo_dir}"
}

throwaway_demo_start() {
    local name="$1" port="$2"
    demo_dir=$(mktemp -d)
    demo_database="souk_${name}_$$"
    demo_url="http://127.0.0.1:${port}"
    trap throwaway_demo_cleanup EXIT
    SOUK_DEMO_DIR="${demo_dir}" SOUK_DEMO_DATABASE="${demo_database}" \
        SOUK_LISTEN_ADDR="127.0.0.1:${port}" SOUK_MONGODB_URL="" \
        SOUK_ORDER_EMAIL_QUEUE="souk.order-emails.${demo_database}" \
        scripts/demo > "${demo_dir}/demo.log" 2>&1 &
    demo_pid=$!
    for _ in $(seq 1 300); do
        if curl -fsS "${demo_url}/readyz" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "${demo_pid}" 2>/dev/null; then
            cat "${demo_dir}/demo.log" >&2
            echo "${name}: the demo stopped before it was ready" >&2
            exit 1
        fi
        sleep 1
    done
    cat "${demo_dir}/demo.log" >&2
    echo "${name}: the demo was not ready after 300 s" >&2
    exit 1
}
