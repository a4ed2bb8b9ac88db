# Writes the rbldnsd data files of the test zones into the directory $1.
# Sourced by run.sh; every zone answers from loopback only. The generic
# dataset (hosts.test) serves A, TXT and MX only: no AAAA.
write_zones() {
	d=$1
	soa='$SOA 60 ns.test. hostmaster.test. 1 3600 600 86400 60'
	cat >"$d/good" <<EOT
$soa
:127.0.0.2:Listed on good.test: spam source, see https://good.test/\$
192.0.2.1
192.0.2.3 :127.0.0.4:Exploited host: infected with a bot
127.0.0.2
EOT
	cat >"$d/clean" <<EOT
$soa
:127.0.0.2:Listed on clean.test
127.0.0.2
EOT
	cat >"$d/blocked" <<EOT
$soa
:127.255.255.254:Query refused: open resolver
0.0.0.0/1
128.0.0.0/1
EOT
	cat >"$d/all" <<EOT
$soa
:127.0.0.2:Everything is listed
0.0.0.0/1
128.0.0.0/1
EOT
	cat >"$d/stale" <<EOT
$soa
:127.0.0.2:Stale listing
192.0.2.1
EOT
	cat >"$d/bogus" <<EOT
$soa
:192.0.2.99:Parked domain
0.0.0.0/1
128.0.0.0/1
EOT
	cat >"$d/v6" <<EOT
$soa
:127.0.0.2:Listed on v6.test
2001:db8::1
::ffff:7f00:2
EOT
	cat >"$d/dom" <<EOT
$soa
:127.0.1.2:Domain listed on dom.test
bad.example
phish.example :127.0.1.4:Phishing domain
test
EOT
	cat >"$d/uribl" <<EOT
$soa
:127.0.0.1:Query refused
.example
.test
test
invalid
EOT
	cat >"$d/hosts" <<EOT
$soa
mail A 192.0.2.1
clean A 192.0.2.2
EOT
}
