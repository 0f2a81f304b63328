## published_se.R — stress/published_se.json and its two aggregates files (METHODS §6, §13
## "Published standard errors"; REFGEN "Published standard errors").
##
## Inputs made here from refdata/responses_2023.csv, as a published 2023 report would give
## them (every question, aspect and overall, both bases):
##   stress/published_se_aggregates_2023.csv          percent (2 decimals), n, se on every row
##   stress/published_se_partial_aggregates_2023.csv  the same, se on some rows only:
##       stratified: questions of aspects A and B, every aspect, overall;  unweighted: overall
## se is the 2023 standard error in percent rounded to 3 decimals: sqrt(p(1-p)/n) for an
## unweighted question, the linearised se (METHODS §2-3) otherwise.
##
## Cases: `--year 2024 --baseline 2023 --baseline-source aggregates` against each file, the
## database holding agencies, populations, responses_2024.csv and the aggregates file.
##   stratified: z with V0 = (se/100)^2 ("published") or borrowed (§6, "borrowed");
##   unweighted aspect/overall: Welch, df0 = n0 - 1, the same V0 rule;
##   unweighted question: Newcombe + pooled z with x0 = e0 n0 whatever se says
##   (baseline_var_rule null).
##
## Usage: Rscript internal/index/testdata/r/published_se.R

local({
  a <- commandArgs(FALSE)
  me <- normalizePath(sub("^--file=", "", a[grep("^--file=", a)]))
  source(file.path(dirname(me), "lib.R"))
})
t_start <- proc.time()[["elapsed"]]
REF <- td("refdata")
ag <- read_agencies(file.path(REF, "agencies.csv"))
pops <- read_populations(file.path(REF, "populations.csv"))
resp23 <- read_responses(file.path(REF, "responses_2023.csv"))
resp24 <- read_responses(file.path(REF, "responses_2024.csv"))
dir.create(td("stress"), showWarnings = FALSE)

## ---- the published 2023 figures -------------------------------------------------------------
y0 <- year_data(resp23, pops, 2023)
pub <- do.call(rbind, lapply(index_ids(), function(id) {
  x <- index_year(id, y0, guards = FALSE)
  rbind(data.frame(year = 2023L, index = id, basis = "unweighted", e = x$u$est, se = x$u$se, n = x$u$n),
        data.frame(year = 2023L, index = id, basis = "stratified", e = x$s$est, se = x$s$se, n = x$s$n))
}))
write_aggregates <- function(d, with_se, path) {
  lines <- c("year,index,basis,percent,n,se",
             sprintf("%d,%s,%s,%.2f,%d,%s", d$year, d$index, d$basis, round(100 * d$e, 2), as.integer(d$n),
                     ifelse(with_se, sprintf("%.3f", round(100 * d$se, 3)), "")))
  con <- file(path, "wb"); writeLines(lines, con, sep = "\n"); close(con)
}
full_file <- "stress/published_se_aggregates_2023.csv"
part_file <- "stress/published_se_partial_aggregates_2023.csv"
write_aggregates(pub, rep(TRUE, nrow(pub)), td(full_file))
part <- (pub$basis == "stratified" & (pub$index %in% c(ASPECTS$A, ASPECTS$B, names(ASPECTS), "overall"))) |
        (pub$basis == "unweighted" & pub$index == "overall")
write_aggregates(pub, part, td(part_file))

## ---- the reports ------------------------------------------------------------------------------
resp <- resp24
cases <- list()
for (f in c(full_file, part_file)) {
  agg <- read_aggregates_csv(td(f))
  b <- build_report(resp, pops, ag$code, 2024, 2023, source = "aggregates", ag = agg,
                    with_agencies = FALSE, label = basename(f))
  cases[[length(cases) + 1]] <- stress_case(
    paste("aggregates", basename(f)),
    inputs_obj("refdata/agencies.csv", "refdata/populations.csv", "refdata/responses_2024.csv", aggregates = f),
    c("--year", "2024", "--baseline", "2023", "--baseline-source", "aggregates"), b)
}

## ---- what the published se changes, against the raw 2023 baseline -------------------------
raw <- build_report(rbind(resp23, resp24), pops, ag$code, 2024, 2023, with_agencies = FALSE, label = "raw")
rawse <- sapply(raw$report$indices, function(x) x$change$stratified$se)
cat("stratified SE of the change: published / raw, borrowed / raw\n")
rules <- list()
for (j in seq_along(cases)) {
  ix <- cases[[j]]$report$indices
  se <- sapply(ix, function(x) x$change$stratified$se)
  rules[[j]] <- table(unlist(lapply(ix, function(x) c(x$change$stratified$baseline_var_rule,
                                                      x$change$unweighted$baseline_var_rule))), useNA = "ifany")
  v_raw <- sapply(raw$report$indices, function(x) x$change$stratified$verdict)
  v_agg <- sapply(ix, function(x) x$change$stratified$verdict)
  cat(sprintf("  %-40s ratio %.4f .. %.4f; verdicts as raw: %d of %d\n", cases[[j]]$name,
              min(se / rawse), max(se / rawse), sum(v_raw == v_agg), length(v_raw)))
  print(rules[[j]])
}
sc <- selfcheck_table()
cat(sprintf("survey cross-checks: %d values, max |hand - survey| %.3g\n", nrow(sc), max(sc$absdiff)))
stopifnot(max(sc$absdiff) < 1e-15)

out <- td("stress", "published_se.json")
write_json_file(stress_file(paste(
  "Aggregate baselines with published standard errors (METHODS 6, 13): V0 = (se/100)^2 where the",
  "aggregates file has se ('published'), else borrowed from this year's variance-to-binomial ratio",
  "('borrowed'); stratified z, unweighted aspects/overall Welch with df0 = n0 - 1, unweighted",
  "questions Newcombe with x0 = e0 n0 (baseline_var_rule null). The aggregates files are derived",
  "from refdata/responses_2023.csv by this script."), cases), out)
cat("wrote", out, sprintf("(%.1f s)\n", proc.time()[["elapsed"]] - t_start))
