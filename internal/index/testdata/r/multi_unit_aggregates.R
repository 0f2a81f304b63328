## multi_unit_aggregates.R — stress/multi_unit_aggregates.json and its inputs (METHODS §11
## "Province-wide indices ... aggregates of several former units", §6, §13; REFGEN
## "multi-unit aggregates").
##
## Two former provinces are made from the main set's 2023 agencies:
##   MGC  tỉnh Minh Giang (trước hợp nhất): MG, MG.STP, MG.883, MG.883.30280, MG.886, MG.886.30400
##   KHC  tỉnh Kiên Hà (trước hợp nhất):    MG.STNMT, MG.884, MG.884.30310, MG.888, MG.888.30520, MG.888.30535
## Each published its own 2023 report, computed here from refdata/responses_2023.csv over its
## own agencies (stratified over them with their 2023 receipts; unweighted over its
## respondents): percent (2 decimals), n, se in percent (3 decimals) where published:
##   MGC publishes se on every row; KHC only on the stratified rows of aspects and overall.
## Written inputs:
##   stress/multi_unit_agencies.csv     the 12 agencies of today + MGC, KHC
##   stress/multi_unit_populations.csv  2024 receipts of the 12 agencies; 2023 receipts of MGC, KHC
##   stress/multi_unit_aggregates_2023.csv  year,index,basis,percent,n,se,agency_code
## Case: responses_2024.csv (the whole of 2024) `--year 2024 --baseline 2023 --baseline-source
## aggregates`:  e0 = sum W_u e_u, W_u = N_u / sum N_u (2023 receipts), n0 = sum n_u,
## V0 = sum W_u^2 V0_u (published or borrowed per unit), rule "published" only when every unit
## has se; unweighted question: Newcombe with x0 = e0 n0.
##
## Usage: Rscript internal/index/testdata/r/multi_unit_aggregates.R

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

units <- list(MGC = c("MG", "MG.STP", "MG.883", "MG.883.30280", "MG.886", "MG.886.30400"),
              KHC = c("MG.STNMT", "MG.884", "MG.884.30310", "MG.888", "MG.888.30520", "MG.888.30535"))
stopifnot(setequal(unlist(units), ag$code))
unit_names <- c(MGC = "Ủy ban nhân dân tỉnh Minh Giang (trước hợp nhất 2025)",
                KHC = "Ủy ban nhân dân tỉnh Kiên Hà (trước hợp nhất 2025)")

## ---- agencies and populations files -----------------------------------------------------
write_lines <- function(lines, path) { con <- file(path, "wb"); writeLines(lines, con, sep = "\n"); close(con) }
csvq <- function(x) ifelse(grepl("[,\"\n]", x), paste0("\"", gsub("\"", "\"\"", x), "\""), x)
agf <- "stress/multi_unit_agencies.csv"
write_lines(c("code,name,level,parent_code",
              paste(csvq(ag$code), csvq(ag$name), ag$level, ag$parent_code, sep = ","),
              paste(names(units), csvq(unit_names), "province", "", sep = ",")), td(agf))
N23 <- pops_of(pops, 2023)
NU <- sapply(units, function(u) sum(N23[u]))
p24 <- pops[pops$year == 2024, ]
popf <- "stress/multi_unit_populations.csv"
write_lines(c("year,agency_code,receipts",
              sprintf("%d,%s,%d", p24$year, p24$agency, as.integer(p24$receipts)),
              sprintf("2023,%s,%d", names(NU), as.integer(NU))), td(popf))
pops_mu <- read_populations(td(popf))

## ---- each former unit's published 2023 report ---------------------------------------------------
pub <- do.call(rbind, lapply(names(units), function(u) {
  yd <- subset_year(year_data(resp23, pops, 2023), resp23$agency_code[resp23$year == 2023] %in% units[[u]])
  do.call(rbind, lapply(index_ids(), function(id) {
    x <- index_year(id, yd, guards = FALSE)
    rbind(data.frame(unit = u, index = id, basis = "unweighted", e = x$u$est, se = x$u$se, n = x$u$n),
          data.frame(unit = u, index = id, basis = "stratified", e = x$s$est, se = x$s$se, n = x$s$n))
  }))
}))
has_se <- pub$unit == "MGC" | (pub$basis == "stratified" & !(pub$index %in% QUESTIONS))
aggf <- "stress/multi_unit_aggregates_2023.csv"
write_lines(c("year,index,basis,percent,n,se,agency_code",
              sprintf("2023,%s,%s,%.2f,%d,%s,%s", pub$index, pub$basis, round(100 * pub$e, 2), as.integer(pub$n),
                      ifelse(has_se, sprintf("%.3f", round(100 * pub$se, 3)), ""), pub$unit)), td(aggf))

## ---- the report ----------------------------------------------------------------------------------
agg <- read_aggregates_csv(td(aggf))
b <- build_report(resp24, pops_mu, c(ag$code, names(units)), 2024, 2023, source = "aggregates", ag = agg,
                  with_agencies = FALSE, label = "multi-unit")
cases <- list(stress_case("two former provinces, whole of 2024",
                          inputs_obj(agf, popf, "refdata/responses_2024.csv", aggregates = aggf),
                          c("--year", "2024", "--baseline", "2023", "--baseline-source", "aggregates"), b))

## ---- diagnostics -----------------------------------------------------------------------------------
## On the stratified basis the combination is the province's separate estimator over all
## strata (W_u e_u = sum over u's strata of N_h/N p_h), so with published se it must agree with
## the raw 2023 province baseline up to rounding.  On the unweighted basis receipts weights
## (REFGEN) differ from the respondent-weighted pooling sum n_u e_u / sum n_u.
raw <- build_report(rbind(resp23, resp24), pops, ag$code, 2024, 2023, with_agencies = FALSE, label = "raw")
cat("combined baseline vs the raw 2023 province baseline (every index):\n")
for (basis in c("stratified", "unweighted")) {
  d_e <- sapply(seq_along(b$report$indices), function(j)
    b$report$indices[[j]]$change[[basis]]$baseline_estimate - raw$report$indices[[j]]$change[[basis]]$baseline_estimate)
  pooled <- sapply(index_ids(), function(id) {
    r <- agg[agg$index == id & agg$basis == basis, ]; sum(r$n * r$percent / 100) / sum(r$n) })
  d_pool <- pooled - sapply(raw$report$indices, function(x) x$change[[basis]]$baseline_estimate)
  cat(sprintf("  %-10s  receipts-weighted e0 - raw: max |.| %.4f;  respondent-pooled e0 - raw: max |.| %.4f\n",
              basis, max(abs(d_e)), max(abs(d_pool))))
}
ix <- b$report$indices
cat("baseline_var_rule:\n"); print(table(sapply(ix, function(x) paste(x$kind, "strat", x$change$stratified$baseline_var_rule))))
print(table(sapply(ix, function(x) paste(x$kind, "unw", format(x$change$unweighted$baseline_var_rule)))))
se_ratio <- sapply(seq_along(ix), function(j) ix[[j]]$change$stratified$se / raw$report$indices[[j]]$change$stratified$se)
cat(sprintf("stratified SE of the change / raw-baseline SE: %.4f .. %.4f\n", min(se_ratio), max(se_ratio)))
v_same <- sum(sapply(seq_along(ix), function(j) ix[[j]]$change$stratified$verdict == raw$report$indices[[j]]$change$stratified$verdict))
cat(sprintf("stratified verdicts equal to the raw baseline's: %d of %d\n", v_same, length(ix)))

out <- td("stress", "multi_unit_aggregates.json")
write_json_file(stress_file(paste(
  "Baseline from the published aggregates of two former provinces (METHODS 11, 6, 13; REFGEN",
  "'multi-unit aggregates'): e0 = sum W_u e_u with W_u from the units' 2023 receipts, n0 = sum n_u,",
  "V0 = sum W_u^2 V0_u, V0_u published (se) or borrowed; rule 'published' only when every unit has se.",
  "Inputs derived from refdata by this script."), cases), out)
cat("wrote", out, sprintf("(%.1f s)\n", proc.time()[["elapsed"]] - t_start))
